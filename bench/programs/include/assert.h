/* assert.h for the benchmark programs: a failed assertion traps (wasm: unreachable). */
#ifndef WM_BENCH_ASSERT_H
#define WM_BENCH_ASSERT_H

#define assert(x) ((x) ? (void)0 : __builtin_trap())

#endif
