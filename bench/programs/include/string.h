/* string.h for the benchmark programs (bench/programs/libc.c): the same code for every
 * engine, so native C and the wasm module run the same library. */
#ifndef WM_BENCH_STRING_H
#define WM_BENCH_STRING_H

#include <stddef.h>

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
char *strchr(const char *s, int c);

#endif
