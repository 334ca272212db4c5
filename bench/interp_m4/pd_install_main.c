/* Install-time cost of the pre-decoded form on the Cortex-M4 (mps2-an386 under QEMU -icount;
 * issue 20): for every module of interp_m4_data.h (bench/interp_m4/image.py writes it) it
 * loads the module from flash, then translates it as a device's commit does
 * (wm_pd_translate_in into the RAM the load left free) and checks the form as a load does
 * (CRC-32 over it, then wm_pd_attach's header and offset checks), and prints:
 *
 *   calib loop TICKS                   2 M instructions of a known loop
 *   load NAME TICKS                    parse + validate (what the install's validation does)
 *   pd NAME TICKS FORM_BYTES SCRATCH   the translation, the form's size, its scratch
 *   check NAME TICKS                   the load-time checks of the stored form
 *   done
 *
 * Time from SysTick (bare_counter.h), calibrated like bench/interp_m4. */
#include <stddef.h>
#include <stdint.h>

#include "bare_console.h"
#include "bare_counter.h"
#include "interp_m4_data.h"
#include "wasmote_port.h"
#include "wm_crc32.h"
#include "wm_pd.h"

void wm_app_main(void);

static void put_line(const char *what, const char *name, const uint32_t *v, int n)
{
    bare_put(what);
    bare_put(" ");
    bare_put(name);
    for (int i = 0; i < n; i++) {
        bare_put(" ");
        bare_put_u32(v[i]);
    }
    bare_put("\r\n");
}

/* "error NAME: why" stops the bench; "refused NAME: why": it would run in place */
static void say(const char *what, const char *name, const char *why)
{
    const char *parts[] = {what, " ", name, ": ", why ? why : "?", "\r\n"};
    for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++) bare_put(parts[i]);
}

static void one(const bench_module *b, const wm_port_info *info)
{
    wm_arena arena;
    wm_arena_init(&arena, info->ram_free, info->ram_free_size);
    wm_error e = {WM_OK, 0, NULL, NULL};
    wm_module *m;
    uint32_t t0 = counter_start_checked();
    if (wm_load(&arena, b->bytes, b->len, &m, &e) != WM_OK) {
        say("error", b->name, e.msg);
        return;
    }
    uint32_t v[3] = {counter_since(t0), 0, 0};
    put_line("load", b->name, v, 1);
    size_t cap = (arena.size - arena.used) & ~(size_t)7u;
    uint8_t *mem = wm_arena_alloc(&arena, cap - 8u, 8);
    size_t len = 0;
    t0 = counter_start_checked();
    wm_err r = mem ? wm_pd_translate_in(m, mem, cap - 8u, &len, &e) : WM_ERR_NO_MEMORY;
    v[0] = counter_since(t0);
    if (r != WM_OK) {
        say("refused", b->name, e.msg);
        return;
    }
    v[1] = (uint32_t)len;
    v[2] = (uint32_t)wm_pd_scratch_size(m, WM_PD_INSTALL_BLOCKS);
    put_line("pd", b->name, v, 3);
    t0 = counter_start_checked();
    volatile uint32_t crc = wm_crc32(0, mem, len);
    (void)crc;
    r = wm_pd_attach(m, mem, len, &e);
    v[0] = counter_since(t0);
    if (r != WM_OK) {
        say("error", b->name, e.msg);
        return;
    }
    put_line("check", b->name, v, 1);
}

void wm_app_main(void)
{
    const wm_port_info *info = wm_port_board_info();
    bare_put("\r\npd-install-m4\r\n");
    uint32_t n = 1000000u;
    uint32_t t0 = counter_start_checked();
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    uint32_t c = counter_since(t0);
    put_line("calib", "loop", &c, 1);
    for (uint32_t i = 0; i < BENCH_MODULES; i++) one(&bench_modules[i], info);
    bare_put("done\r\n");
    for (;;) wm_port_idle();
}
