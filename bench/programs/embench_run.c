/* The entry of an Embench-IoT program for every engine (bench/workloads.py): run(n) does
 * what the suite's main.c does between its triggers, at GLOBAL_SCALE_FACTOR n, without the
 * cache warm-up (instruction counts do not need one), and returns
 *
 *     (benchmark()'s result << 1) | (verify_benchmark() said correct)
 *
 * so that every engine must agree on the result and the bench can see the verdict. */
#include "kernel.h"

unsigned int wm_bench_scale = 1;

void initialise_benchmark(void);
int benchmark(void);
int verify_benchmark(int result);

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    wm_bench_scale = n;
    initialise_benchmark();
    int r = benchmark();
    return ((uint32_t)r << 1) | (verify_benchmark(r) == 1 ? 1u : 0u);
}
