/* The core's memcpy/memset (wm_mem.h says why not libc's). A word at a time where both ends
 * allow it (bulk operations are charged per byte count, wm_fuel.h: a copy between
 * differently aligned ends, byte by byte, is the worst case the rate covers). */
#include "wm_mem.h"

#include <stdint.h>

/* words of memory whose declared type is bytes (an arena) */
#if defined(__GNUC__)
typedef uintptr_t __attribute__((may_alias)) word;
#else
typedef uintptr_t word;
#endif
#define WORD sizeof(word)

/* Forwards: also right for a destination below an overlapping source. */
static void copy_up(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n >= WORD && ((uintptr_t)d & (WORD - 1)) == ((uintptr_t)s & (WORD - 1))) {
        while ((uintptr_t)d & (WORD - 1)) {
            *d++ = *s++;
            n--;
        }
        for (; n >= WORD; n -= WORD, d += WORD, s += WORD)
            *(word *)(void *)d = *(const word *)(const void *)s;
    }
    while (n--) *d++ = *s++;
}

void wm_memcpy(void *dst, const void *src, size_t n)
{
    copy_up((uint8_t *)dst, (const uint8_t *)src, n);
}

void wm_memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (d == s || n == 0) return;
    if (d < s || d >= s + n) {
        copy_up(d, s, n);
        return;
    }
    d += n; /* overlapping with the destination above: from the end */
    s += n;
    if (n >= WORD && ((uintptr_t)d & (WORD - 1)) == ((uintptr_t)s & (WORD - 1))) {
        while ((uintptr_t)d & (WORD - 1)) {
            *--d = *--s;
            n--;
        }
        for (; n >= WORD; n -= WORD) {
            d -= WORD;
            s -= WORD;
            *(word *)(void *)d = *(const word *)(const void *)s;
        }
    }
    while (n--) *--d = *--s;
}

void wm_memset(void *dst, int v, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    word w = (word)(v & 0xff) * (UINTPTR_MAX / 0xffu);
    while (n && ((uintptr_t)d & (WORD - 1))) {
        *d++ = (uint8_t)v;
        n--;
    }
    for (; n >= WORD; n -= WORD, d += WORD) *(word *)(void *)d = w;
    while (n--) *d++ = (uint8_t)v;
}

int wm_memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

bool wm_memeq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (uint8_t)(x[i] ^ y[i]);
    return diff == 0;
}

size_t wm_strlen(const char *s)
{
    size_t n = 0;
    while (s && s[n]) n++;
    return n;
}

bool wm_streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

bool wm_streq_n(const char *s, const void *b, size_t n)
{
    const uint8_t *p = (const uint8_t *)b;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || (uint8_t)s[i] != p[i]) return false;
    return s[n] == '\0';
}
