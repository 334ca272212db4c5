/* stdio.h for the benchmark programs: declarations only: their printf calls are in debug
 * code that is not compiled, so no engine links a printf. */
#ifndef WM_BENCH_STDIO_H
#define WM_BENCH_STDIO_H

int printf(const char *fmt, ...);
int puts(const char *s);

#endif
