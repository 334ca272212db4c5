/* Benchmark image for the worst install on QEMU mps2-an386 (Cortex-M4): wm_load (decode
 * and validate) and wm_instantiate of the large modules bench/install_worst.py generates
 * (install_modules.h: each as big as the store lets a package be). Linked with the
 * firmware's start-up and port (bench/bare_image.py), it replaces the app's wm_app_main;
 * run with -icount shift=0 (SysTick: 40 instructions a tick). */
#include <stddef.h>
#include <stdint.h>

#include "bare_console.h"
#include "bare_counter.h"
#include "install_modules.h"
#include "wasmote.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define ARENA_SIZE (3584u * 1024u)

static uint8_t g_arena[ARENA_SIZE] __attribute__((aligned(16)));

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
        lim.mem_cap_bytes = 0u;
        lim.table_cap = 0u;
        lim.mem_reserve = 0u;
        lim.start_fuel = 0u;
        wm_arena_init(&arena, g_arena, sizeof g_arena);
        uint32_t t = counter_start();
        wm_err rc = wm_load(&arena, c->bytes, c->len, &mod, &e);
        report("load", c->name, counter_elapsed(t), (uint32_t)rc);
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
        t = counter_start();
        rc = wm_instantiate(&arena, mod, NULL, &lim, &inst, &e);
        report("instantiate", c->name, counter_elapsed(t), (uint32_t)rc);
    }
    bare_put("done\r\n");
    for (;;) {
        wm_port_idle();
    }
}
