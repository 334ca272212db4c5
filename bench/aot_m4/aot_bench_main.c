/* Benchmark image for AOT code on a QEMU board (Cortex-M4F, mps2-an386): each kernel runs
 * as native C (compiled into this image by the same GCC), as AOT code (its package lies in
 * flash; the code is executed in place), as AOT code compiled without fuel metering, and in
 * the interpreter (the first package, AOT section not attached). bench/aot.py generates aot_bench_data.h, builds the image, runs QEMU
 * with -icount shift=0 (one instruction = 1 ns of virtual time) and parses the lines:
 *
 *   calib TICKS                       2 M instructions of a known loop
 *   run KERNEL ENGINE CHECKSUM TICKS  the call alone
 *   load KERNEL ENGINE TICKS          package check (SHA-256) + load + attach + instantiate
 *
 * The counter is the CMSDK APB timer 0 (32-bit, 25 MHz: one tick = 40 instructions). */
#include <stddef.h>
#include <stdint.h>

#include "aot.h"
#include "aot_bench_data.h"
#include "package.h"
#include "wasmote.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)

static void put(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') n++;
    while (n > 0) {
        size_t w = wm_port_uart_write((const uint8_t *)s, n);
        s += w;
        n -= w;
    }
}

static void put_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    put(buf + i);
}

static uint32_t now(void) { return TIMER0_VALUE; }
static uint32_t since(uint32_t t0) { return t0 - TIMER0_VALUE; } /* counts down */

/* Exactly 2 instructions per iteration (subs + bne). */
static void calibrate(void)
{
    uint32_t n = 1000000u;
    uint32_t t0 = now();
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    uint32_t t = since(t0);
    put("calib ");
    put_u32(t);
    put("\r\n");
}

static void line(const char *what, const char *kernel, const char *engine, int with_sum,
                 uint32_t sum, uint32_t ticks)
{
    put(what);
    put(" ");
    put(kernel);
    put(" ");
    put(engine);
    put(" ");
    if (with_sum) {
        put_u32(sum);
        put(" ");
    }
    put_u32(ticks);
    put("\r\n");
}

/* Loads the kernel's package (as the device's install path would: container and hash, then
 * the module) and, for "aot", attaches its AOT section in place. */
static int run_wasm(const bench_kernel *k, int aot, int fuel, wm_arena *arena)
{
    const char *engine = !aot ? "interp" : fuel ? "aot" : "aot-nofuel";
    uint32_t t0 = now();
    wm_package pkg;
    wm_sb_error pe;
    wm_error e = {WM_OK, 0, NULL};
    wm_module *m;
    wm_instance *inst;
    if (wm_pkg_parse(fuel ? k->package : k->nofuel, fuel ? k->package_len : k->nofuel_len,
                     &pkg, &pe) != 0) {
        put("error package ");
        put(pe.msg);
        put("\r\n");
        return -1;
    }
    if (wm_load(arena, pkg.module, pkg.module_len, &m, &e) != WM_OK) goto fail;
    if (aot) {
        const wm_pkg_aot *a = NULL;
        for (uint32_t i = 0; i < pkg.naot; i++)
            if (pkg.aot[i].arch == WM_AOT_ARCH_SELF) a = &pkg.aot[i];
        if (!a) {
            put("error no AOT section for this CPU\r\n");
            return -1;
        }
        if (wm_aot_attach(m, a->code, a->len, a->arch, a->abi, &e) != WM_OK) goto fail;
    }
    wm_limits lim;
    wm_limits_default(&lim);
    lim.mem_reserve = 0;
    lim.stack_slots = 8192; /* 64 KiB: the interpreter's value stack / AOT's native stack */
    if (wm_instantiate(arena, m, NULL, &lim, &inst, &e) != WM_OK) goto fail;
    line("load", k->name, engine, 0, 0, since(t0));
    wm_val arg, res;
    arg.type = WM_I32;
    arg.of.i64 = 0;
    arg.of.i32 = k->n;
    t0 = now();
    if (wm_call_export(inst, "run", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) != WM_OK) goto fail;
    line("run", k->name, engine, 1, res.of.i32, since(t0));
    return 0;
fail:
    put("error ");
    put(k->name);
    put(" ");
    put(e.msg ? e.msg : "?");
    put("\r\n");
    return -1;
}

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1u; /* enable, no interrupt */
    put("\r\naot-bench board=");
    put(info->board);
    put("\r\n");
    calibrate();
    for (uint32_t i = 0; i < BENCH_KERNELS; i++) {
        const bench_kernel *k = &bench_kernels[i];
        uint32_t t0 = now();
        uint32_t sum = k->native(k->n);
        line("run", k->name, "native", 1, sum, since(t0));
        wm_arena arena;
        wm_arena_init(&arena, info->ram_free, info->ram_free_size);
        run_wasm(k, 1, 1, &arena);
        wm_arena_init(&arena, info->ram_free, info->ram_free_size);
        run_wasm(k, 1, 0, &arena);
        wm_arena_init(&arena, info->ram_free, info->ram_free_size);
        run_wasm(k, 0, 1, &arena);
    }
    put("done\r\n");
    for (;;) wm_port_idle();
}
