/* The core's memory and string functions, once for every layer above (no libc in the core).
 *
 * The core calls these, never memcpy/memset by name: the same core is linked into hosted
 * programs (posix device, fuzzers, ESP-IDF, Arduino) whose libc owns those symbols, and a
 * copy's cost must be the same code on every target (wm_fuel.h charges bulk operations per
 * byte for the worst case of this implementation). The calls GCC emits on its own for
 * struct copies and initialisers go to app/freestanding.c, which forwards to these: a
 * firmware image holds one copy loop, not two. */
#ifndef WM_MEM_H
#define WM_MEM_H

#include <stdbool.h>
#include <stddef.h>

void wm_memcpy(void *dst, const void *src, size_t n);
void wm_memmove(void *dst, const void *src, size_t n); /* overlapping ends allowed */
void wm_memset(void *dst, int v, size_t n);
int wm_memcmp(const void *a, const void *b, size_t n); /* <0, 0, >0 as memcmp */
/* Equal in time that depends only on n (hashes, tokens, keys: no early exit to time). */
bool wm_memeq(const void *a, const void *b, size_t n);

size_t wm_strlen(const char *s); /* 0 for NULL */
bool wm_streq(const char *a, const char *b);
/* True if the NUL-terminated `s` equals the `n` bytes at `b` (a name from input). */
bool wm_streq_n(const char *s, const void *b, size_t n);

#endif
