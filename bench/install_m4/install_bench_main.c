/* Benchmark image for the worst install on QEMU mps2-an386 (Cortex-M4): the package's
 * SHA-256, wm_load (decode and validate), the pre-decoded translator as an install runs
 * it (wm_pd_translate_in), the form's CRC-32 and wm_pd_attach's checks (what every load
 * of a stored form runs), and wm_instantiate of the large modules
 * bench/install_worst.py generates (install_modules.h: each as big as the store lets a
 * package be), and the longest stretch between two watchdog kicks of the install's work
 * meter (core/base/wm_work.h) in each. Linked with the firmware's start-up and port
 * (bench/bare_image.py), it replaces the app's wm_app_main; run with -icount shift=0
 * (SysTick: 40 instructions a tick). */
#include <stddef.h>
#include <stdint.h>

#include "bare_console.h"
#include "bare_counter.h"
#include "install_modules.h"
#include "wm_crc32.h"
#include "wm_pd.h"
#include "sha256.h"
#include "wasmote.h"
#include "wm_work.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define ARENA_SIZE (3584u * 1024u)

static uint8_t g_arena[ARENA_SIZE] __attribute__((aligned(16)));

/* The meter's kick: the ticks since the last kick (or the case's start), the most so far. */
static uint32_t g_last, g_worst;

static void on_kick(void)
{
    uint32_t gap = counter_elapsed(g_last);
    g_last = (g_last - gap) & 0xFFFFFFu;
    if (gap > g_worst) {
        g_worst = gap;
    }
}

static void gap_start(wm_work *w)
{
    wm_work_init(w, on_kick);
    g_worst = 0;
}

/* The worst gap of the step just measured, the stretch after its last kick included. */
static uint32_t gap_end(void)
{
    on_kick();
    return g_worst;
}

static void report_gap(const char *what, const char *name, uint32_t ticks, uint32_t kicks)
{
    bare_put("gap ");
    bare_put(what);
    bare_put(" ");
    bare_put(name);
    bare_put(" ticks=");
    bare_put_u32(ticks);
    bare_put(" kicks=");
    bare_put_u32(kicks);
    bare_put("\r\n");
}

static void report(const char *what, const char *name, uint32_t ticks, uint32_t rc)
{
    bare_put("install ");
    bare_put(what);
    bare_put(" ");
    bare_put(name);
    bare_put(" ticks=");
    bare_put_u32(ticks);
    bare_put(" rc=");
    bare_put_u32(rc);
    bare_put("\r\n");
}

void wm_app_main(void)
{
    for (uint32_t i = 0; i < INSTALL_CASES; i++) {
        const install_case *c = &install_cases[i];
        wm_arena arena;
        wm_error e;
        wm_module *mod = NULL;
        wm_instance *inst = NULL;
        wm_limits lim;
        lim.stack_slots = 4096u;
        lim.call_depth = 64u;
        lim.mem_cap_bytes = 3u << 20; /* big_memory's 2.5 MiB, zeroed at instantiation */
        lim.table_cap = 0u;
        lim.mem_reserve = 0u;
        lim.start_fuel = 0u;
        wm_work work;
        uint8_t digest[32];
        wm_arena_init(&arena, g_arena, sizeof g_arena);
        gap_start(&work);
        uint32_t t = counter_start();
        g_last = t;
        (void)wm_sha256_metered(c->bytes, c->len, digest, &work);
        report("sha256", c->name, counter_elapsed(t), 0u);
        report_gap("sha256", c->name, gap_end(), work.kicks);
        gap_start(&work);
        t = counter_start();
        g_last = t;
        wm_err rc = wm_load_metered(&arena, c->bytes, c->len, &work, &mod, &e);
        report("load", c->name, counter_elapsed(t), (uint32_t)rc);
        report_gap("load", c->name, gap_end(), work.kicks);
        if (rc != WM_OK) {
            bare_put("refused ");
            bare_put(e.msg);
            bare_put(" at ");
            bare_put_u32(e.offset);
            bare_put(" arena ");
            bare_put_u32((uint32_t)arena.used);
            bare_put("\r\n");
            continue;
        }
        /* The form, in the RAM the load left (as wm_sup_form_install), then the load's
         * checks of it: its CRC (the supervisor charges the meter a unit a byte; here
         * its whole cost is one step) and wm_pd_attach (header, offsets, trace map). */
        size_t cap = arena.size - arena.used - 64u, mark = wm_arena_mark(&arena);
        uint8_t *mem = wm_arena_alloc(&arena, cap, 8);
        size_t len = 0;
        gap_start(&work);
        t = counter_start();
        g_last = t;
        rc = mem != NULL ? wm_pd_translate_in(mod, mem, cap, &len, &e) : WM_ERR_LIMIT;
        report("predecode", c->name, counter_elapsed(t), (uint32_t)rc);
        report_gap("predecode", c->name, gap_end(), work.kicks);
        wm_arena_release(&arena, mark); /* keep the form alone (the same address) */
        if (rc == WM_OK && wm_arena_alloc(&arena, len, 8) == mem) {
            bare_put("form ");
            bare_put(c->name);
            bare_put(" bytes=");
            bare_put_u32((uint32_t)len);
            bare_put("\r\n");
            t = counter_start();
            uint32_t crc = wm_crc32(0, mem, len);
            report("form_crc", c->name, counter_elapsed(t), crc & 1u);
            gap_start(&work); /* the module's meter: wm_pd_attach charges it */
            t = counter_start();
            g_last = t;
            rc = wm_pd_attach(mod, mem, len, &e);
            report("pd_attach", c->name, counter_elapsed(t), (uint32_t)rc);
            report_gap("pd_attach", c->name, gap_end(), work.kicks);
        } else {
            bare_put("in place ");
            bare_put(e.msg);
            bare_put("\r\n");
        }
        gap_start(&work); /* the module's meter: instantiation charges it */
        t = counter_start();
        g_last = t;
        rc = wm_instantiate(&arena, mod, NULL, &lim, &inst, &e);
        report("instantiate", c->name, counter_elapsed(t), (uint32_t)rc);
        report_gap("instantiate", c->name, gap_end(), work.kicks);
    }
    bare_put("done\r\n");
    for (;;) {
        wm_port_idle();
    }
}
