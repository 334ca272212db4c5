/* The C library wasm3 needs in the bare-metal bench image, and no more: a heap (calloc,
 * malloc, realloc, free: a bump allocator over the port's free RAM that takes back the most
 * recent block, as wasm3's own d_m3FixedHeap does, and counts the peak of live bytes),
 * strlen, strcmp, abort and __errno (libm's sqrt and sqrtf set errno). memcpy, memset,
 * memmove and memcmp come from the firmware's freestanding.c as in our image; the
 * floating-point helpers (ceil, floor, trunc, rint, sqrt and their float forms) from the
 * toolchain's newlib libm. */
#include <stddef.h>
#include <stdint.h>

#include "bare_console.h"
#include "wasm3_heap.h"
#include "wasmote_port.h"

void *malloc(size_t n);
void *calloc(size_t count, size_t n);
void *realloc(void *p, size_t n);
void free(void *p);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
void abort(void);
int *__errno(void);

#define ALIGN 8u

typedef struct block {
    size_t size; /* bytes asked for */
    size_t pad;  /* keeps the payload 8-aligned */
} block;

static int errno_value;

static struct {
    uint8_t *base, *top, *end, *last;
    size_t live, peak;
} heap;

void bench_heap_reset(void *base, size_t size)
{
    heap.base = heap.top = (uint8_t *)(((uintptr_t)base + ALIGN - 1u) & ~(uintptr_t)(ALIGN - 1u));
    heap.end = (uint8_t *)base + size;
    heap.last = NULL;
    heap.live = heap.peak = 0;
}

uint32_t bench_heap_peak(void) { return (uint32_t)heap.peak; }

static size_t rounded(size_t n) { return (n + ALIGN - 1u) & ~(size_t)(ALIGN - 1u); }

void *malloc(size_t n)
{
    if (n > (size_t)(heap.end - heap.top) - sizeof(block) - ALIGN) return NULL;
    block *b = (block *)heap.top;
    b->size = n;
    heap.last = heap.top;
    heap.top += sizeof(block) + rounded(n);
    heap.live += n;
    if (heap.live > heap.peak) heap.peak = heap.live;
    return b + 1;
}

void free(void *p)
{
    if (!p) return;
    block *b = (block *)p - 1;
    heap.live -= b->size;
    if ((uint8_t *)b == heap.last) { /* the most recent block: its room is reused */
        heap.top = heap.last;
        heap.last = NULL;
    }
}

void *calloc(size_t count, size_t n)
{
    if (n && count > (size_t)-1 / n) return NULL;
    uint8_t *p = malloc(count * n);
    if (p)
        for (size_t i = 0; i < count * n; i++) p[i] = 0;
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p) return malloc(n);
    block *b = (block *)p - 1;
    if ((uint8_t *)b == heap.last && n <= (size_t)(heap.end - (uint8_t *)p) - ALIGN) {
        heap.live = heap.live - b->size + n; /* grows or shrinks in place */
        b->size = n;
        heap.top = (uint8_t *)p + rounded(n);
        if (heap.live > heap.peak) heap.peak = heap.live;
        return p;
    }
    uint8_t *q = malloc(n);
    if (!q) return NULL;
    size_t keep = b->size < n ? b->size : n;
    for (size_t i = 0; i < keep; i++) q[i] = ((const uint8_t *)p)[i];
    free(p);
    return q;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

void abort(void)
{
    bare_put("error wasm3 called abort\r\n");
    for (;;) wm_port_idle();
}

int *__errno(void) { return &errno_value; }
