/* Force-included (-include) into every Embench-IoT source: the suite's build passes
 * GLOBAL_SCALE_FACTOR on the command line; here it is the work argument of run(n), so one
 * build serves every scale. */
#ifndef WM_EMBENCH_CONFIG_H
#define WM_EMBENCH_CONFIG_H

extern unsigned int wm_bench_scale;
#define GLOBAL_SCALE_FACTOR wm_bench_scale

#endif
