/* Benchmark image for AOT code on a QEMU board (Cortex-M4F, mps2-an386): each kernel runs
 * as native C (compiled into this image by the same GCC), as AOT code (its package lies in
 * flash; the code is executed in place), as AOT code compiled without fuel metering, in the
 * interpreter (the first package, AOT section not attached), and as AOT code isolated by
 * the MPU the way the product firmware runs signed native code (wm_aot_attach_isolated:
 * unprivileged, every runtime service through the SVC gate, docs/aot.md), compiled with and
 * without software bounds checks, with and without fuel. The "-slice" engines run the call
 * as the supervisor does: slices of WM_SUP_SLICE_MAX fuel, wm_resume after each.
 * bench/aot.py generates aot_bench_data.h (the workloads, and BENCH_INTERP / BENCH_MPU: 0
 * leaves out the interpreter / the isolated and sliced engines), builds the image, runs
 * QEMU with -icount shift=0
 * (one instruction = 1 ns of virtual time) and parses the lines:
 *
 *   calib TICKS                       2 M instructions of a known loop
 *   isolation PMSA                    what wm_aot_isolation() says (7 on the M4F)
 *   run KERNEL ENGINE CHECKSUM TICKS  the call alone (all its slices)
 *   again KERNEL ENGINE CHECKSUM TICKS  a second call on the same instance (kernels with
 *                                     `again`: the empty one, for the cost of a call)
 *   slices KERNEL ENGINE COUNT        how many slices the call took
 *   load KERNEL ENGINE TICKS          package check (SHA-256) + load + attach + instantiate;
 *                                     attach as a device loads a stored image (without the
 *                                     module's SHA-256, wm_aot_attach_committed), except
 *                                     "aot-full": with it (wm_aot_attach, the commit's check)
 *   refused KERNEL                    code without bounds checks was refused unisolated
 *
 * The counter is the CMSDK APB timer 0 on mps2 (32-bit, 25 MHz: one tick = 40 instructions),
 * CCOUNT on the Xtensa LX106 (xtensa-lx106, 40 MHz: one tick = 25 instructions). */
#include <stddef.h>
#include <stdint.h>

#include "aot.h"
#include "bare_console.h"
#include "aot_bench_data.h"
#include "package.h"
#include "supervisor.h"
#include "wasmote.h"
#include "wasmote_port.h"

void wm_app_main(void);

#if defined(__XTENSA__)
static uint32_t now(void)
{
    uint32_t v;
    __asm__ volatile("rsr %0, ccount" : "=a"(v));
    return v;
}
static uint32_t since(uint32_t t0) { return now() - t0; } /* counts up */
static void timer_start(void) {}
/* Exactly 2 instructions per iteration (addi + bnez). */
#define CALIB_LOOP(n) __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+a"(n))
#else
#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
static uint32_t now(void) { return TIMER0_VALUE; }
static uint32_t since(uint32_t t0) { return t0 - TIMER0_VALUE; } /* counts down */
static void timer_start(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1u; /* enable, no interrupt */
}
/* Exactly 2 instructions per iteration (subs + bne). */
#define CALIB_LOOP(n) __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc")
#endif

/* How each engine runs a kernel: AOT or interpreted, isolated or not, which package
 * (BENCH_V_*), and the fuel of one slice (0: one call with unlimited fuel); full: attach
 * with the module's SHA-256 (the check before a commit) instead of as a stored image. */
typedef struct bench_engine {
    const char *name;
    uint8_t aot, iso, variant;
    uint32_t slice;
    uint8_t full;
} bench_engine;

static const bench_engine engines[] = {
    {"aot", 1, 0, BENCH_V_FUEL, 0, 0},
    {"aot-full", 1, 0, BENCH_V_FUEL, 0, 1},
    {"aot-nofuel", 1, 0, BENCH_V_NOFUEL, 0, 0},
    {"interp", 0, 0, BENCH_V_FUEL, 0, 0},
    {"iso", 1, 1, BENCH_V_FUEL, 0, 0},
    {"iso-nb", 1, 1, BENCH_V_FUEL_NB, 0, 0},
    {"iso-nofuel", 1, 1, BENCH_V_NOFUEL, 0, 0},
    {"iso-nofuel-nb", 1, 1, BENCH_V_NOFUEL_NB, 0, 0},
    {"aot-slice", 1, 0, BENCH_V_FUEL, WM_SUP_SLICE_MAX, 0},
    {"iso-slice", 1, 1, BENCH_V_FUEL, WM_SUP_SLICE_MAX, 0},
    {"iso-nb-slice", 1, 1, BENCH_V_FUEL_NB, WM_SUP_SLICE_MAX, 0},
};

static void calibrate(void)
{
    uint32_t n = 1000000u;
    uint32_t t0 = now();
    CALIB_LOOP(n);
    uint32_t t = since(t0);
    bare_put("calib ");
    bare_put_u32(t);
    bare_put("\r\n");
}

static void line(const char *what, const char *kernel, const char *engine, int with_sum,
                 uint32_t sum, uint32_t ticks)
{
    bare_put(what);
    bare_put(" ");
    bare_put(kernel);
    bare_put(" ");
    bare_put(engine);
    bare_put(" ");
    if (with_sum) {
        bare_put_u32(sum);
        bare_put(" ");
    }
    bare_put_u32(ticks);
    bare_put("\r\n");
}

static void fail(const bench_kernel *k, const char *what, const char *msg)
{
    bare_put("error ");
    bare_put(k->name);
    bare_put(" ");
    bare_put(what);
    bare_put(": ");
    bare_put(msg ? msg : "?");
    bare_put("\r\n");
}

/* Parses variant `v` of the kernel's package and loads its module (as the device's install
 * path would: container and hash, then the module); *a = its AOT section for this CPU. */
static int load(const bench_kernel *k, unsigned v, wm_arena *arena, wm_module **m,
                const wm_pkg_aot **a, wm_package *pkg, wm_error *e)
{
    char pe_buf[WM_MSG_MAX];
    wm_msg pe;
    wm_msg_init(&pe, pe_buf, sizeof pe_buf);
    if (wm_pkg_parse(k->pkg[v], k->len[v], pkg, &pe) != 0) {
        fail(k, "package", pe.buf);
        return -1;
    }
    if (wm_load(arena, pkg->module, pkg->module_len, m, e) != WM_OK) {
        fail(k, "load", e->msg);
        return -1;
    }
    *a = NULL;
    for (uint32_t i = 0; i < pkg->naot; i++)
        if (pkg->aot[i].arch == WM_AOT_ARCH_SELF) *a = &pkg->aot[i];
    if (!*a) {
        fail(k, "load", "no AOT section for this CPU");
        return -1;
    }
    return 0;
}

static int run_wasm(const bench_kernel *k, const bench_engine *g, wm_arena *arena)
{
    uint32_t t0 = now();
    wm_package pkg;
    wm_error e = {WM_OK, 0, NULL, NULL};
    wm_module *m;
    wm_instance *inst;
    const wm_pkg_aot *a;
    if (load(k, g->variant, arena, &m, &a, &pkg, &e) != 0) return -1;
    wm_err (*attach)(wm_module *, const uint8_t *, size_t, uint8_t, uint16_t, wm_error *) =
        g->full ? (g->iso ? wm_aot_attach_isolated : wm_aot_attach)
                : (g->iso ? wm_aot_attach_isolated_committed : wm_aot_attach_committed);
    if (g->aot && attach(m, a->code, a->len, a->arch, a->abi, &e) != WM_OK) {
        fail(k, g->name, e.msg);
        return -1;
    }
    wm_limits lim;
    wm_limits_default(&lim);
    lim.mem_reserve = 0;
    lim.stack_slots = 8192; /* 64 KiB: the interpreter's value stack / AOT's native stack */
    if (wm_instantiate(arena, m, NULL, &lim, &inst, &e) != WM_OK) {
        fail(k, g->name, e.msg);
        return -1;
    }
    line("load", k->name, g->name, 0, 0, since(t0));
    wm_val arg, res;
    arg.type = WM_I32;
    arg.of.i64 = 0;
    arg.of.i32 = k->n;
    uint32_t slices = 0, t = 0;
    wm_err r = WM_OK;
    for (uint32_t round = 0; round < (k->again && g->aot ? 2u : 1u); round++) {
        slices = 1;
        t0 = now();
        r = wm_call_export(inst, "run", &arg, 1, &res, 1, g->slice ? g->slice : WM_FUEL_UNLIMITED,
                           &e);
        while (g->slice && r == WM_ERR_OUT_OF_FUEL) {
            slices++;
            r = wm_resume(inst, g->slice, &res, 1, &e);
        }
        t = since(t0);
        if (r != WM_OK) {
            fail(k, g->name, e.msg);
            return -1;
        }
        /* the first call; again: the same call on the same instance */
        line(round == 0 ? "run" : "again", k->name, g->name, 1, res.of.i32, t);
    }
    line("slices", k->name, g->name, 0, 0, slices);
    return 0;
}

/* Code without software bounds checks must be refused unless it runs isolated. */
static void check_refused(const bench_kernel *k, wm_arena *arena)
{
    wm_package pkg;
    wm_error e = {WM_OK, 0, NULL, NULL};
    wm_module *m;
    const wm_pkg_aot *a;
    if (load(k, BENCH_V_FUEL_NB, arena, &m, &a, &pkg, &e) != 0) return;
    if (wm_aot_attach(m, a->code, a->len, a->arch, a->abi, &e) == WM_OK) {
        fail(k, "policy", "code without bounds checks attached unisolated");
        return;
    }
    bare_put("refused ");
    bare_put(k->name);
    bare_put("\r\n");
}

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    timer_start();
    bare_put("\r\naot-bench board=");
    bare_put(info->board);
    bare_put("\r\n");
    calibrate();
    bare_put("isolation ");
    bare_put_u32((uint32_t)wm_aot_isolation());
    bare_put("\r\n");
    wm_arena arena;
    for (uint32_t i = 0; i < BENCH_KERNELS; i++) {
        const bench_kernel *k = &bench_kernels[i];
        uint32_t t0 = now();
        uint32_t sum = k->native(k->n);
        line("run", k->name, "native", 1, sum, since(t0));
        for (uint32_t j = 0; j < sizeof engines / sizeof engines[0]; j++) {
            const bench_engine *g = &engines[j];
            wm_arena_init(&arena, info->ram_free, info->ram_free_size);
            if (g->iso && wm_aot_isolation() == 0) continue;
            if ((!BENCH_INTERP && !g->aot) || (!BENCH_MPU && (g->iso || g->slice))) continue;
            run_wasm(k, g, &arena);
        }
        wm_arena_init(&arena, info->ram_free, info->ram_free_size);
        if (BENCH_MPU) check_refused(k, &arena);
    }
    bare_put("done\r\n");
    for (;;) wm_port_idle();
}
