/* What a unit of fuel buys on a Cortex-M4F (mps2-an386 under QEMU -icount), and how long a
 * slice of fuel can run (docs/supervisor.md, "Fuel"). bench/fuel.py generates
 * fuel_bench_data.h (probe modules as signed packages with Cortex-M4 AOT code), builds this
 * image, runs it with -icount shift=0 (one instruction = 1 ns of virtual time) and parses:
 *
 *   calib TICKS                                 2 M instructions of a known loop
 *   class PROBE ENGINE FUEL TICKS               PROBE(n) in one call: fuel charged, time
 *   slice PROBE ENGINE FUEL STRETCH N MAX SUM   N slices of FUEL each (as the supervisor
 *                                               gives: its cap minus the module's STRETCH):
 *                                               the longest and all of them
 *   refused PROBE ENGINE MESSAGE                the install refused it
 *   done
 *
 * Engines: "interp" (no AOT section attached), "aot" (wm_aot_attach), "iso" (isolated by the
 * MPU, wm_aot_attach_isolated, the product firmware's choice on this board). Modules run in
 * the sandbox with the product's host functions: log builds and sends the device's event
 * frame (wm_protocol_event, to UART1, which QEMU discards), kv works on a RAM flash.
 * The counter is the CMSDK APB timer 0 (25 MHz: one tick = 40 instructions). */
#include <stddef.h>
#include <stdint.h>

#include "aot.h"
#include "bare_console.h"
#include "flash_ram.h"
#include "fuel_bench_data.h"
#include "kv.h"
#include "protocol.h"
#include "random.h"
#include "sandbox.h"
#include "supervisor.h"
#include "wasmote.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define UART1_DATA (*(volatile uint32_t *)0x40005000u)
#define UART1_STATE (*(volatile uint32_t *)0x40005004u)
#define UART1_CTRL (*(volatile uint32_t *)0x40005008u)

static uint32_t now(void) { return TIMER0_VALUE; }
static uint32_t since(uint32_t t0) { return t0 - TIMER0_VALUE; } /* counts down */

/* Exactly 2 instructions per iteration (subs + bne). */
static void calibrate(void)
{
    uint32_t n = 1000000u;
    uint32_t t0 = now();
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    bare_put("calib ");
    bare_put_u32(since(t0));
    bare_put("\r\n");
}

/* ---- the device's side of a module's host calls ---- */

static wm_protocol g_proto;
static wm_flash_ram g_flash;
static wm_kv g_kv;
static uint8_t g_kv_area[2u * 4096u];
static uint8_t g_arena[1536u * 1024u];

/* The event bytes go out through a UART as the device's do (UART1: QEMU drops them). */
static int uart1_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        while (UART1_STATE & 1u) {
        }
        UART1_DATA = data[i];
    }
    return 0;
}

static uint64_t plat_now(void *ctx)
{
    (void)ctx;
    return 0;
}

static void plat_log(void *ctx, wm_sb_module *mod, const uint8_t *msg, uint32_t len)
{
    (void)ctx;
    (void)wm_protocol_event(&g_proto, WM_EV_LOG, mod->manifest.name, (const char *)msg, len);
}

static void put_line(const char *what, const char *probe, const char *engine)
{
    bare_put(what);
    bare_put(" ");
    bare_put(probe);
    bare_put(" ");
    bare_put(engine);
}

static void put_num(uint64_t v)
{
    bare_put(" ");
    if (v > 0xFFFFFFFFu) { /* (fuel counts fit; this is for completeness) */
        bare_put_u32((uint32_t)(v / 1000000000u));
        uint32_t low = (uint32_t)(v % 1000000000u);
        for (uint32_t d = 100000000u; d > 1u && low < d; d /= 10u) bare_put("0");
        bare_put_u32(low);
        return;
    }
    bare_put_u32((uint32_t)v);
}

static const uint8_t k_pub[32] = BENCH_PUBLIC_KEY;

/* random_get and env.seed as on a device: the HMAC-DRBG, with timing stirred in before each
 * request (a device receiving bytes does; it makes every request pay a second update, the
 * worst case). The seed is fixed: this measures work, not entropy. */
static wm_random g_rng;

static int fixed_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(i * 151u + 7u);
    return WM_RANDOM_SEEDED;
}

static int plat_random(void *ctx, uint8_t *buf, uint32_t len)
{
    (void)ctx;
    wm_random_stir(&g_rng, now());
    return wm_random_bytes(&g_rng, buf, len);
}

/* A yield as the supervisor's: the first call blocks, its retry (the next slice) returns.
 * (Cleared for each probe, as a slot's is when it loads.) */
static bool g_armed;

static bool plat_sleep(void *ctx, wm_sb_module *mod, uint32_t ms)
{
    (void)ctx;
    (void)mod;
    (void)ms;
    g_armed = !g_armed;
    return g_armed;
}

typedef struct engine {
    const char *name;
    uint8_t aot, iso;
} engine;

static const engine engines[] = {{"interp", 0, 0}, {"aot", 1, 0}, {"iso", 1, 1}};

static void run_probe(wm_sb_module *mod, const bench_probe *p, const engine *en)
{
    wm_extern run;
    wm_val arg;
    wm_error e;
    arg.type = WM_I32;
    arg.of.i64 = 0;
    arg.of.i32 = p->n;
    if (wm_export(mod->inst, p->export, &run) != WM_OK) {
        put_line("error", p->label, en->name);
        bare_put(" no such export\r\n");
        return;
    }
    if (!p->sliced) { /* one call: what the fuel charged and how long it took */
        uint32_t t0 = now();
        wm_err rc = wm_call(mod->inst, run.of.func, &arg, 1, NULL, 0, WM_FUEL_UNLIMITED, &e);
        uint32_t t = since(t0);
        if (rc != WM_OK) {
            put_line("error", p->label, en->name);
            bare_put(" ");
            bare_put(e.msg ? e.msg : "?");
            bare_put("\r\n");
            return;
        }
        put_line("class", p->label, en->name);
        put_num(WM_FUEL_UNLIMITED - wm_fuel_left(mod->inst));
        put_num(t);
        bare_put("\r\n");
        return;
    }
    g_armed = false;
    /* as the supervisor runs it: slices of its cap minus the module's stretch */
    uint64_t slice = wm_sb_slice_fuel(mod, WM_SUP_SLICE_MAX);
    uint32_t n = 0, most = 0, total = 0;
    wm_err rc = WM_ERR_OUT_OF_FUEL;
    /* a slice ends out of fuel or blocked (a long random_get yields between pieces) */
    while (n < p->slices && (n == 0 || rc == WM_ERR_OUT_OF_FUEL || rc == WM_ERR_BLOCKED)) {
        uint32_t t0 = now();
        rc = n == 0 ? wm_call(mod->inst, run.of.func, &arg, 1, NULL, 0, slice, &e)
                    : wm_resume(mod->inst, slice, NULL, 0, &e);
        uint32_t t = since(t0);
        n++;
        total += t;
        if (t > most) most = t;
    }
    if (rc != WM_OK && rc != WM_ERR_OUT_OF_FUEL && rc != WM_ERR_BLOCKED) {
        put_line("error", p->label, en->name);
        bare_put(" ");
        bare_put(e.msg ? e.msg : "?");
        bare_put("\r\n");
    } else {
        put_line("slice", p->label, en->name);
        put_num(slice);
        put_num(wm_sb_fuel_stretch(mod));
        put_num(n);
        put_num(most);
        put_num(total);
        bare_put("\r\n");
    }
    if (wm_suspended(mod->inst)) wm_abort(mod->inst);
}

static void run_pkg(wm_sb_host *host, const bench_pkg *pk, const engine *en)
{
    static wm_sb_module mod;
    wm_sb_device dev = {&k_pub, 1u, NULL, NULL, 0, 0, NULL, false, NULL};
    if (en->aot) {
        dev.arch = WM_AOT_ARCH_SELF;
        dev.aot_abi = WM_AOT_ABI_VERSION;
        dev.aot_attach = en->iso ? wm_aot_attach_isolated : wm_aot_attach;
    }
    wm_arena arena;
    wm_arena_init(&arena, g_arena, sizeof g_arena);
    char err_buf[WM_MSG_MAX];
    wm_msg err;
    wm_msg_init(&err, err_buf, sizeof err_buf);
    if (wm_sb_install(host, &mod, &arena, pk->bytes, pk->len, &dev, &err) != 0) {
        for (uint32_t i = 0; i < pk->nprobes; i++) {
            put_line("refused", pk->probes[i].label, en->name);
            bare_put(" ");
            bare_put(err.buf);
            bare_put("\r\n");
        }
        return;
    }
    if (en->aot && !wm_aot_attached(mod.module)) bare_put("error AOT code not attached\r\n");
    for (uint32_t i = 0; i < pk->nprobes; i++) run_probe(&mod, &pk->probes[i], en);
    wm_sb_uninstall(&mod);
}

void wm_app_main(void)
{
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1; /* enable, no interrupt */
    UART1_CTRL = 1;  /* TX on */
    calibrate();
    if (wm_aot_isolation_init() == 0) bare_put("error no MPU\r\n");
    wm_protocol_config pc = {0};
    pc.io.write = uart1_write;
    wm_protocol_init(&g_proto, &pc);
    if (wm_flash_ram_init(&g_flash, g_kv_area, sizeof g_kv_area, 4096u) != 0 ||
        wm_kv_mount(&g_kv, &g_flash.ops) != 0)
        bare_put("error kv\r\n");
    wm_sb_platform plat = {0};
    plat.now_ms = plat_now;
    plat.log = plat_log;
    plat.kv = &g_kv;
    plat.random = plat_random;
    plat.sleep = plat_sleep;
    wm_random_init(&g_rng, fixed_entropy, NULL, NULL, 0);
    static wm_sb_host host;
    wm_sb_host_init(&host, &plat);
    for (uint32_t i = 0; i < BENCH_PKGS; i++)
        for (uint32_t k = 0; k < sizeof engines / sizeof engines[0]; k++)
            run_pkg(&host, &bench_pkgs[i], &engines[k]);
    bare_put("done\r\n");
    for (;;) {
    }
}
