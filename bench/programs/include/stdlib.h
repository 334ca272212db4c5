/* stdlib.h for the benchmark programs: what they declare or use, nothing else. */
#ifndef WM_BENCH_STDLIB_H
#define WM_BENCH_STDLIB_H

#include <stddef.h>

_Noreturn void abort(void);

#endif
