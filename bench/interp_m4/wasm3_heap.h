/* wasm3_heap.h - the heap the wasm3 bench image gives wasm3 (wasm3_libc.c). */
#ifndef WM_BENCH_WASM3_HEAP_H
#define WM_BENCH_WASM3_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Starts an empty heap over [base, base + size) and zeroes the peak. */
void bench_heap_reset(void *base, size_t size);
/* The most bytes wasm3 held allocated at once since the reset (sizes as requested). */
uint32_t bench_heap_peak(void);

#endif
