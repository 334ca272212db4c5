#include "ram_pool.h"

static uint8_t *align_up(uint8_t *p)
{
    uintptr_t v = (uintptr_t)p;
    return (uint8_t *)((v + 7u) & ~(uintptr_t)7u);
}

void wm_pool_init(wm_ram_pool *p, void *mem, size_t size)
{
    uint8_t *b = align_up((uint8_t *)mem);
    size_t lost = (size_t)(b - (uint8_t *)mem);
    p->base = b;
    p->size = size > lost ? (size - lost) & ~(size_t)7u : 0u;
    p->n = 0;
}

/* Gap i lies before extent i (i == n: after the last one). */
static wm_extent gap(const wm_ram_pool *p, uint32_t i)
{
    uint8_t *start = i == 0 ? p->base : p->used[i - 1u].base + p->used[i - 1u].size;
    uint8_t *end = i == p->n ? p->base + p->size : p->used[i].base;
    wm_extent g;
    g.base = align_up(start);
    g.size = end > g.base ? (size_t)(end - g.base) : 0u;
    return g;
}

bool wm_pool_largest(const wm_ram_pool *p, wm_extent *out)
{
    out->base = NULL;
    out->size = 0;
    if (p->n >= WM_POOL_EXTENTS) {
        return false;
    }
    for (uint32_t i = 0; i <= p->n; i++) {
        wm_extent g = gap(p, i);
        if (g.size > out->size) {
            *out = g;
        }
    }
    return out->size > 0;
}

int wm_pool_take(wm_ram_pool *p, uint8_t *base, size_t size)
{
    if (p->n >= WM_POOL_EXTENTS || size == 0) {
        return -1;
    }
    for (uint32_t i = 0; i <= p->n; i++) {
        wm_extent g = gap(p, i);
        if (base >= g.base && size <= g.size && (size_t)(base - g.base) <= g.size - size) {
            for (uint32_t k = p->n; k > i; k--) {
                p->used[k] = p->used[k - 1u];
            }
            p->used[i].base = base;
            p->used[i].size = size;
            p->n++;
            return 0;
        }
    }
    return -1;
}

void wm_pool_give(wm_ram_pool *p, const uint8_t *base)
{
    for (uint32_t i = 0; i < p->n; i++) {
        if (p->used[i].base == base) {
            for (uint32_t k = i; k + 1u < p->n; k++) {
                p->used[k] = p->used[k + 1u];
            }
            p->n--;
            return;
        }
    }
}

size_t wm_pool_free(const wm_ram_pool *p)
{
    size_t total = 0;
    for (uint32_t i = 0; i <= p->n; i++) {
        total += gap(p, i).size;
    }
    return total;
}
