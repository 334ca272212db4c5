/* The four functions GCC requires of a freestanding environment: it may emit calls to them
 * for struct copies and large initialisers even with -ffreestanding -fno-builtin. The
 * firmware links no libc, so they are here, on the core's own implementation (base/wm_mem.h):
 * one copy loop in the image. Weak, so a port that brings its own (e.g. faster) versions
 * wins. */
#include <stddef.h>

#include "wm_mem.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

__attribute__((weak)) void *memcpy(void *dst, const void *src, size_t n)
{
    wm_memcpy(dst, src, n);
    return dst;
}

__attribute__((weak)) void *memmove(void *dst, const void *src, size_t n)
{
    wm_memmove(dst, src, n);
    return dst;
}

__attribute__((weak)) void *memset(void *dst, int c, size_t n)
{
    wm_memset(dst, c, n);
    return dst;
}

__attribute__((weak)) int memcmp(const void *a, const void *b, size_t n)
{
    return wm_memcmp(a, b, n);
}
