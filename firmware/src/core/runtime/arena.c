/* arena.c - bump allocation from caller-provided memory (no malloc anywhere). */
#include "wm_internal.h"

void wm_arena_init(wm_arena *a, void *mem, size_t size)
{
    a->base = (uint8_t *)mem;
    a->size = size;
    a->used = 0;
}

void *wm_arena_alloc(wm_arena *a, size_t size, size_t align)
{
    uintptr_t cur = (uintptr_t)(a->base + a->used);
    size_t pad = (size_t)((align - (cur & (align - 1))) & (align - 1));
    if (pad > a->size - a->used || size > a->size - a->used - pad) return NULL;
    a->used += pad;
    void *p = a->base + a->used;
    a->used += size;
    return p;
}

size_t wm_arena_mark(const wm_arena *a) { return a->used; }

void wm_arena_release(wm_arena *a, size_t mark)
{
    if (mark <= a->used) a->used = mark;
}
