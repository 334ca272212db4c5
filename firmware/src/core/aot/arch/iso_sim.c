/* iso_sim.c - isolated execution without an MPU, for tests on the posix build
 * (-DWM_AOT_ISO_SIM): the same user block, gate requests and services as on Cortex-M
 * (aot_iso.c), with the gate in C on top of the coroutine switch and no protection at all.
 * It checks the runtime side of isolation (fuel, suspension, host calls, traps, copies) under
 * the sanitizers; the protection itself is tested on QEMU. */
#include "aot_internal.h"

#if WM_AOT_ISO_PMSA != 0 && defined(WM_AOT_ISO_SIM) && !defined(__arm__)

#include "mpu_cover.h"

static int g_on; /* test builds only */

int wm_aot_isolation_init(void)
{
    g_on = 7;
    return g_on;
}

int wm_aot_isolation(void) { return g_on; }

size_t wm_aot_iso_granule(uint64_t bytes)
{
    uint32_t align, round;
    wm_mpu_v7_layout(bytes, 2, &align, &round);
    return align;
}

void wm_aot_iso_one_region(uint64_t bytes, size_t *align, size_t *round)
{
    uint32_t a, r;
    wm_mpu_v7_layout(bytes, 1, &a, &r);
    *align = a;
    *round = r;
}

void wm_aot_iso_gate_block(wm_aot_iso_block *b)
{
    b->base = b->lo = b->hi = 0;
    b->size = 0;
    b->kind = WM_AOT_ISO_CODE;
    b->regions = 1;
}

/* Host addresses are 64-bit: only the layout's invariants are checked (each data block
 * aligned and sized as its granule requires), as PMSAv7 would need them. */
int wm_aot_iso_map_make(wm_aot_iso_map *map, const wm_aot_iso_block *b, unsigned n)
{
    map->n = 0;
    for (unsigned i = 0; i < n; i++) {
        if (b[i].kind != WM_AOT_ISO_DATA || b[i].size == 0) continue;
        uint32_t align, round;
        wm_mpu_v7_layout(b[i].hi - b[i].lo, b[i].regions, &align, &round);
        if ((b[i].base & (round - 1u)) != 0 || b[i].base < b[i].lo ||
            ((b[i].size + round - 1u) & ~(uintptr_t)(round - 1u)) > b[i].hi - b[i].base)
            return -1;
    }
    return 0;
}

/* The C gate: each service records its request and parks the coroutine. */
static uintptr_t gate(wm_aot_ctx *c, uint32_t svc, uint64_t a0, uint64_t a1, uint64_t a2,
                      uint64_t a3, uint64_t a4)
{
    wm_aot_run *r = (wm_aot_run *)c->run;
    r->cpu.status = WM_AOT_ISO_SERVICE;
    r->cpu.svc = svc;
    r->cpu.a[0] = a0;
    r->cpu.a[1] = a1;
    r->cpu.a[2] = a2;
    r->cpu.a[3] = a3;
    r->cpu.a[4] = a4;
    wm_aot_park(r, svc == WM_AOT_SVC_DONE);
    return r->cpu.ret;
}

static void g_trap(wm_aot_ctx *c, uint32_t code, uintptr_t fuel)
{
    gate(c, WM_AOT_SVC_TRAP, code, fuel, 0, 0, 0);
    for (;;) {
    }
}
static intptr_t g_refuel(wm_aot_ctx *c, intptr_t fl)
{
    return (intptr_t)gate(c, WM_AOT_SVC_REFUEL, (uint64_t)(uintptr_t)fl, 0, 0, 0, 0);
}
static void g_call(wm_aot_ctx *c, uint32_t f, uint64_t *io)
{
    gate(c, WM_AOT_SVC_CALL, f, (uintptr_t)io, 0, 0, 0);
}
static void g_call_ref(wm_aot_ctx *c, uintptr_t f, uint32_t type, uint64_t *io)
{
    gate(c, WM_AOT_SVC_CALL_REF, f, type, (uintptr_t)io, 0, 0);
}
static uint32_t g_mem_grow(wm_aot_ctx *c, uint32_t d)
{
    return (uint32_t)gate(c, WM_AOT_SVC_MEM_GROW, d, 0, 0, 0, 0);
}
static void g_mem_init(wm_aot_ctx *c, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    gate(c, WM_AOT_SVC_MEM_INIT, seg, d, s, n, 0);
}
static void g_data_drop(wm_aot_ctx *c, uint32_t seg)
{
    gate(c, WM_AOT_SVC_DATA_DROP, seg, 0, 0, 0, 0);
}
static void g_table_init(wm_aot_ctx *c, uint32_t t, uint32_t seg, uint32_t d, uint32_t s,
                         uint32_t n)
{
    gate(c, WM_AOT_SVC_TABLE_INIT, t, seg, d, s, n);
}
static void g_elem_drop(wm_aot_ctx *c, uint32_t seg)
{
    gate(c, WM_AOT_SVC_ELEM_DROP, seg, 0, 0, 0, 0);
}
static void g_table_copy(wm_aot_ctx *c, uint32_t dt, uint32_t st, uint32_t d, uint32_t s,
                         uint32_t n)
{
    gate(c, WM_AOT_SVC_TABLE_COPY, dt, st, d, s, n);
}
static uint32_t g_table_grow(wm_aot_ctx *c, uint32_t t, uintptr_t init, uint32_t n)
{
    return (uint32_t)gate(c, WM_AOT_SVC_TABLE_GROW, t, init, n, 0, 0);
}
static void g_table_fill(wm_aot_ctx *c, uint32_t t, uint32_t at, uintptr_t v, uint32_t n)
{
    gate(c, WM_AOT_SVC_TABLE_FILL, t, at, v, n, 0);
}

const wm_aot_rt wm_aot_iso_gate = {
    g_trap,      g_refuel,     g_call,      g_call_ref,   g_mem_grow,   g_mem_init,
    g_data_drop, g_table_init, g_elem_drop, g_table_copy, g_table_grow, g_table_fill,
};

/* The coroutine's body (wm_aot_coro_main hands over): entry, then DONE. */
void wm_aot_iso_sim_main(wm_aot_run *r);
void wm_aot_iso_sim_main(wm_aot_run *r)
{
    wm_aot_ctx *u = (wm_aot_ctx *)(uintptr_t)r->cpu.ret;
    r->entry(u, r->io);
    gate(u, WM_AOT_SVC_DONE, 0, 0, 0, 0, 0);
}

void wm_aot_iso_start(wm_aot_run *r, wm_aot_entry entry, wm_aot_ctx *uctx)
{
    (void)entry; /* r->entry */
    r->cpu.ret = (uintptr_t)uctx;
    r->co_sp = wm_aot_stack_init((void *)r->hi, r);
}

void wm_aot_iso_enter(wm_aot_run *r, const wm_aot_iso_map *map)
{
    (void)map;
    wm_aot_ctx *u = ((wm_aot_inst *)r->inst->native)->iso->uctx;
    u->run = r; /* the C gate finds its run through the context (no protection here) */
    r->cpu.status = 0;
    wm_aot_switch_in(r);
}

int wm_aot_iso_request(wm_aot_run *r, uint32_t *svc, uint64_t a[5], char *msg, size_t cap)
{
    if (r->cpu.status != WM_AOT_ISO_SERVICE) {
        const char *s = "native code came back without a request";
        size_t i = 0;
        for (; s[i] != '\0' && i + 1 < cap; i++) msg[i] = s[i];
        msg[i] = '\0';
        return -1;
    }
    *svc = r->cpu.svc;
    for (unsigned i = 0; i < 5u; i++) a[i] = r->cpu.a[i];
    return 0;
}

void wm_aot_iso_ret(wm_aot_run *r, uintptr_t v) { r->cpu.ret = v; }

uintptr_t wm_aot_iso_sp(const wm_aot_run *r) { return (uintptr_t)r->co_sp; }

#endif
