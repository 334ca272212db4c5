/* Shared by the interpreter benchmark kernels: freestanding, no libc.
 * Each kernel defines `uint32_t run(uint32_t n)`: does n units of work on data it makes
 * itself (deterministic) and returns a checksum, identical on every engine. */
#ifndef WM_BENCH_KERNEL_H
#define WM_BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define KERNEL_EXPORT __attribute__((export_name("run")))
#else
#define KERNEL_EXPORT
#endif

/* A small LCG: same numbers everywhere, no libc rand. */
static inline uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

uint32_t run(uint32_t n);

#endif
