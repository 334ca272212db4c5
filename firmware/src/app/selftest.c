#include "selftest.h"

#include "console.h"

#include "selftest_wasm.h"
#include "wasmote.h"

/* Work bound for each case; the cases need far less, so running out is a failure. */
#define WM_SELFTEST_FUEL 10000000u

static const char *wm_type_name(uint8_t t)
{
    switch (t) {
    case WM_I32: return "i32";
    case WM_I64: return "i64";
    case WM_F32: return "f32";
    case WM_F64: return "f64";
    default: return "?";
    }
}

static uint64_t wm_bits(const wm_val *v)
{
    return (v->type == WM_I32 || v->type == WM_F32) ? (uint64_t)v->of.i32 : v->of.i64;
}

static void wm_print_error(const char *what, const wm_error *e)
{
    wm_con_puts("selftest error ");
    wm_con_puts(what);
    wm_con_puts(": ");
    wm_con_puts(e->msg != NULL ? e->msg : wm_err_name(e->code));
    wm_con_puts(" at ");
    wm_con_hex(e->offset, 4);
    wm_con_puts("\r\n");
}

unsigned wm_selftest_run(uint8_t *ram, size_t ram_size)
{
    wm_arena arena;
    wm_module *mod;
    wm_instance *inst;
    wm_limits limits;
    wm_error e = {WM_OK, 0, 0, NULL};
    size_t i;
    unsigned fails = 0;

    wm_arena_init(&arena, ram, ram_size);
    if (wm_load(&arena, wm_selftest_wasm, sizeof wm_selftest_wasm, &mod, &e) != WM_OK) {
        wm_print_error("load", &e);
        return 1;
    }
    wm_limits_default(&limits);
    limits.mem_cap_bytes = 4u * 65536u; /* the module grows by one page */
    if (wm_instantiate(&arena, mod, 0, &limits, &inst, &e) != WM_OK) {
        wm_print_error("instantiate", &e);
        return 1;
    }
    for (i = 0; i < sizeof wm_selftest_cases / sizeof wm_selftest_cases[0]; i++) {
        const wm_selftest_case *c = &wm_selftest_cases[i];
        wm_val arg, res;
        wm_err rc;
        arg.type = WM_I32;
        arg.of.i32 = c->arg;
        res.type = 0;
        res.of.i64 = 0;
        rc = wm_call_export(inst, c->name, &arg, c->nargs, &res, 1, WM_SELFTEST_FUEL, &e);
        wm_con_puts("selftest ");
        wm_con_puts(c->name);
        wm_con_puts(" ");
        if (rc != WM_OK) {
            wm_con_puts("error ");
            wm_con_puts(e.msg != 0 ? e.msg : wm_err_name(rc));
            wm_con_puts(" FAIL\r\n");
            fails++;
            continue;
        }
        wm_con_puts(wm_type_name(res.type));
        wm_con_puts(":");
        wm_con_hex(wm_bits(&res), (res.type == WM_I32 || res.type == WM_F32) ? 8u : 16u);
        if (res.type == c->type && wm_bits(&res) == c->bits) {
            wm_con_puts(" ok\r\n");
        } else {
            wm_con_puts(" FAIL\r\n");
            fails++;
        }
    }
    wm_con_puts("selftest done pass=");
    wm_con_dec(i - fails);
    wm_con_puts(" fail=");
    wm_con_dec(fails);
    wm_con_puts(" module_ram=");
    wm_con_dec(wm_module_ram(mod));
    wm_con_puts(" arena_used=");
    wm_con_dec(arena.used);
    wm_con_puts("\r\n");
    return fails;
}
