/* libFuzzer target: the device-side loader, validator, instantiation and interpreter
 * (core/runtime).
 *
 * Input = a wasm module. wm_load it; if it validates, instantiate it twice (each instance
 * in its own arena with its own copy of the spec suite's `spectest` imports, so spec-suite
 * seeds link) under a small board's limits, then call up to 8 exported functions on both with edge-case
 * arguments: instance A in one call with a fuel budget, instance B suspended and resumed
 * in slices of 1..8 units of fuel. With WM_PREDECODE (as the firmware builds are), the
 * module is also loaded a second time and translated to its pre-decoded form the way an
 * install does it (wm_pd_translate_in, wm_pd_attach); a third instance C of that runs the
 * same calls on the pre-decoded interpreter, in slices of another size.
 *
 * Oracles besides the sanitizers:
 *   - a refusal carries a known code, a message and an offset inside the module;
 *   - suspending and resuming never changes what a call does: B must end every call exactly
 *     like A (same status, results and trap message) and hold the same memory afterwards;
 *   - the translator refuses only with WM_ERR_LIMIT and a message, and its form attaches;
 *     C ends every call like A, with the same trap trace (function and code offset of each
 *     frame), and holds the same memory. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wasmote.h"
#include "fuzz_check.h"
#ifndef WM_PREDECODE
#define WM_PREDECODE 0
#endif
#if WM_PREDECODE
#include "runtime/wm_internal.h"
#include "runtime/wm_pd.h"
#endif

/* Sized like a board's module RAM: big enough for real modules, small enough that a
 * hostile one hits the limits instead of the host's memory. The module gets one arena and
 * each instance its own, so that both instances' memories can grow in place alike (growth
 * past the reservation needs the memory to be its arena's last allocation). */
#define MODULE_ARENA (1u * 1024u * 1024u)
#define INSTANCE_ARENA (1536u * 1024u)
#define CALL_FUEL 5000u
#define MAX_CALLS 8u
#define MAX_VALS 16u

#define NINST (2u + (unsigned)WM_PREDECODE)
/* RAM an install gives the translator (form and scratch): a form takes up to ~16 bytes
 * per code byte (docs/predecoded.md) */
#define PD_MEM (2u * 1024u * 1024u)

static uint8_t g_module_mem[1u + (unsigned)WM_PREDECODE][MODULE_ARENA] __attribute__((aligned(16)));
static uint8_t g_inst_mem[NINST][INSTANCE_ARENA] __attribute__((aligned(16)));
#if WM_PREDECODE
static uint8_t g_pd_mem[PD_MEM] __attribute__((aligned(16)));
#endif

static wm_err nop(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    (void)results;
    return WM_OK;
}

static const wm_host_func spectest_funcs[] = {
    {"spectest", "print", ":", nop, NULL},
    {"spectest", "print_i32", "i:", nop, NULL},
    {"spectest", "print_i64", "I:", nop, NULL},
    {"spectest", "print_f32", "f:", nop, NULL},
    {"spectest", "print_f64", "F:", nop, NULL},
    {"spectest", "print_i32_f32", "if:", nop, NULL},
    {"spectest", "print_f64_f64", "FF:", nop, NULL},
};

static bool add_global(wm_linker *l, wm_arena *a, const char *name, uint8_t type, uint64_t bits)
{
    wm_val v;
    memset(&v, 0, sizeof v);
    v.type = type;
    if (type == WM_I32 || type == WM_F32) {
        v.of.i32 = (uint32_t)bits;
    } else {
        v.of.i64 = bits;
    }
    wm_extern ext;
    ext.kind = WM_EXTERN_GLOBAL;
    return wm_global_new(a, v, false, &ext.of.global) == WM_OK &&
           wm_linker_add(l, "spectest", name, ext) == WM_OK;
}

/* The spec suite's `spectest` module (see /work/shared/spec-tests/README.md). */
static bool spectest(wm_linker *l, wm_arena *a)
{
    wm_linker_init(l, a);
    for (size_t i = 0; i < sizeof spectest_funcs / sizeof spectest_funcs[0]; i++) {
        if (wm_linker_add_host(l, &spectest_funcs[i]) != WM_OK) {
            return false;
        }
    }
    if (!add_global(l, a, "global_i32", WM_I32, 666u) ||
        !add_global(l, a, "global_i64", WM_I64, 666u) ||
        !add_global(l, a, "global_f32", WM_F32, 0x4426A666u) ||
        !add_global(l, a, "global_f64", WM_F64, 0x4084D4CCCCCCCCCDull)) {
        return false;
    }
    wm_extern ext;
    ext.kind = WM_EXTERN_TABLE;
    if (wm_table_new(a, WM_FUNCREF, 10, 20, &ext.of.table) != WM_OK ||
        wm_linker_add(l, "spectest", "table", ext) != WM_OK) {
        return false;
    }
    ext.kind = WM_EXTERN_MEMORY;
    return wm_memory_new(a, 1, 2, 2u * 65536u, &ext.of.memory) == WM_OK &&
           wm_linker_add(l, "spectest", "memory", ext) == WM_OK;
}

static wm_val arg_for(uint8_t type, unsigned variant)
{
    /* 0, -1, the sign bit, 1: the values most likely to reach div/rem/trunc edge cases */
    static const uint64_t edge[4] = {0u, UINT64_MAX, 0x8000000000000000ull, 1u};
    wm_val v;
    memset(&v, 0, sizeof v);
    v.type = type;
    uint64_t bits = edge[variant % 4u];
    switch (type) {
    case WM_I32:
    case WM_F32: v.of.i32 = (uint32_t)(bits >> 32) | (uint32_t)(bits & 1u); break;
    case WM_I64:
    case WM_F64: v.of.i64 = bits; break;
    default: /* references: null */ break;
    }
    return v;
}

/* One call on B, resumed in slices until it ends; false if it needed too many slices. */
static bool call_sliced(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t np,
                        wm_val *res, uint32_t nr, unsigned slice, wm_err *rc, wm_error *err)
{
    *rc = wm_call(inst, f, args, np, res, nr, slice, err);
    for (unsigned k = 0; *rc == WM_ERR_OUT_OF_FUEL && k < 4u * CALL_FUEL; k++) {
        CHECK(wm_suspended(inst));
        *rc = wm_resume(inst, slice, res, nr, err);
    }
    if (*rc == WM_ERR_OUT_OF_FUEL) {
        wm_abort(inst);
        return false;
    }
    CHECK(!wm_suspended(inst));
    return true;
}

static bool is_nan32(uint32_t x)
{
    return (x & 0x7F800000u) == 0x7F800000u && (x & 0x007FFFFFu) != 0u;
}

static bool is_nan64(uint64_t x)
{
    return (x & 0x7FF0000000000000ull) == 0x7FF0000000000000ull &&
           (x & 0x000FFFFFFFFFFFFFull) != 0u;
}

/* `nan_blind`: a NaN matches any NaN (the spec leaves a NaN result's sign and payload
 * open, and two interpreters built from different C may pick differently). */
static bool same_results(const wm_val *a, const wm_val *b, uint32_t n, bool nan_blind)
{
    for (uint32_t i = 0; i < n; i++) {
        if (a[i].type != b[i].type) {
            return false;
        }
        switch (a[i].type) {
        case WM_F32:
            if (nan_blind && is_nan32(a[i].of.i32) && is_nan32(b[i].of.i32)) {
                break;
            }
            /* fall through */
        case WM_I32:
            if (a[i].of.i32 != b[i].of.i32) {
                return false;
            }
            break;
        case WM_F64:
            if (nan_blind && is_nan64(a[i].of.i64) && is_nan64(b[i].of.i64)) {
                break;
            }
            /* fall through */
        case WM_I64:
            if (a[i].of.i64 != b[i].of.i64) {
                return false;
            }
            break;
        default: /* references point into different instances: compare null-ness only */
            if ((a[i].of.ext == 0u) != (b[i].of.ext == 0u)) {
                return false;
            }
            break;
        }
    }
    return true;
}

/* The same memory, NaN-blind like same_results: every byte that differs lies inside a
 * 4-byte window that is an f32 NaN in both or an 8-byte one that is an f64 NaN in both. */
static bool same_memory(const uint8_t *x, const uint8_t *y, size_t n, bool nan_blind)
{
    if (memcmp(x, y, n) == 0) {
        return true;
    }
    if (!nan_blind) {
        return false;
    }
    for (size_t p = 0; p < n; p++) {
        if (x[p] == y[p]) {
            continue;
        }
        bool nan = false;
        for (size_t w = 4; w <= 8 && !nan; w += 4) {
            for (size_t s = p >= w - 1u ? p - (w - 1u) : 0u; s <= p && s + w <= n && !nan; s++) {
                uint64_t vx = 0, vy = 0;
                memcpy(&vx, x + s, w); /* little-endian host, as the memory */
                memcpy(&vy, y + s, w);
                nan = w == 4 ? is_nan32((uint32_t)vx) && is_nan32((uint32_t)vy)
                             : is_nan64(vx) && is_nan64(vy);
            }
        }
        if (!nan) {
            return false;
        }
    }
    return true;
}

/* The same trap trace on two instances (nothing recorded alike too). */
static bool same_trace(const wm_instance *x, const wm_instance *y)
{
    const wm_trace_frame *fx, *fy;
    uint32_t nx = wm_trap_trace(x, &fx), ny = wm_trap_trace(y, &fy);
    return nx == ny && (nx == 0u || memcmp(fx, fy, nx * sizeof *fx) == 0);
}

#if WM_PREDECODE
/* The module again, translated and bound as an install does; NULL when the translator
 * leaves it in place (a refusal it may make: WM_ERR_LIMIT with a message). */
static wm_module *predecoded(wm_arena *arena, const uint8_t *data, size_t size)
{
    wm_module *m = NULL;
    wm_error e;
    CHECK(wm_load(arena, data, size, &m, &e) == WM_OK); /* it loaded once */
    size_t len = 0;
    wm_err rc = wm_pd_translate_in(m, g_pd_mem, sizeof g_pd_mem, &len, &e);
    if (rc != WM_OK) {
        CHECK(rc == WM_ERR_LIMIT && e.code == rc && e.msg != NULL);
        return NULL;
    }
    CHECK(len > 0 && len <= sizeof g_pd_mem);
    CHECK(wm_pd_attach(m, g_pd_mem, len, &e) == WM_OK && m->pd != NULL);
    return m;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_arena arena, arena_i[NINST];
    wm_module *mod = NULL;
    wm_error err;
    wm_arena_init(&arena, g_module_mem[0], sizeof g_module_mem[0]);
    for (unsigned k = 0; k < NINST; k++) {
        wm_arena_init(&arena_i[k], g_inst_mem[k], sizeof g_inst_mem[k]);
    }

    wm_err rc = wm_load(&arena, data, size, &mod, &err);
    if (rc != WM_OK) {
        CHECK(err.code == rc && err.msg != NULL && err.offset <= size);
        CHECK(rc == WM_ERR_MALFORMED || rc == WM_ERR_INVALID || rc == WM_ERR_NO_MEMORY ||
              rc == WM_ERR_LIMIT);
        return 0;
    }
    CHECK(wm_module_ram(mod) <= arena.used);
    /* mods[k]: the module instance k runs; C's is the pre-decoded one (NULL: none) */
    wm_module *mods[NINST];
    mods[0] = mods[1] = mod;
#if WM_PREDECODE
    wm_arena arena_pd;
    wm_arena_init(&arena_pd, g_module_mem[1], sizeof g_module_mem[1]);
    mods[2] = predecoded(&arena_pd, data, size);
#endif

    wm_limits lim;
    wm_limits_default(&lim);
    lim.stack_slots = 4096;
    lim.call_depth = 128;
    lim.mem_cap_bytes = 256u * 1024u;
    lim.table_cap = 256;
    lim.mem_reserve = 64u * 1024u;
    lim.start_fuel = 20000;
    wm_linker links[NINST];
    wm_instance *inst[NINST];
    wm_error errs[NINST];
    wm_err rcs[NINST];
    for (unsigned k = 0; k < NINST; k++) {
        inst[k] = NULL;
        rcs[k] = WM_OK;
        if (mods[k] == NULL) {
            continue;
        }
        CHECK(spectest(&links[k], &arena_i[k]));
        rcs[k] = wm_instantiate(&arena_i[k], mods[k], &links[k], &lim, &inst[k], &errs[k]);
        /* same module, same limits, same arena size: same outcome */
        CHECK(rcs[k] == rcs[0]);
        if (rcs[k] != WM_OK) {
            CHECK(errs[k].msg != NULL && strcmp(errs[k].msg, errs[0].msg) == 0);
        }
    }
    if (rcs[0] != WM_OK) {
        return 0;
    }
    wm_instance *a = inst[0], *b = inst[1];
    wm_error ea, eb;

    unsigned slice = 1u + (size > 0 ? data[size - 1] % 8u : 0u);
    bool comparable = true;
    wm_instance *c = NINST > 2u ? inst[NINST - 1u] : NULL; /* the pre-decoded one */
    bool comparable_c = c != NULL;
    uint32_t n = wm_export_count(a);
    CHECK(wm_export_count(b) == n);
    unsigned called = 0;
    for (uint32_t i = 0; i < n && called < MAX_CALLS; i++) {
        const char *name;
        uint32_t name_len;
        wm_extern fa, fb;
        if (wm_export_at(a, i, &name, &name_len, &fa) != WM_OK || fa.kind != WM_EXTERN_FUNC) {
            continue;
        }
        CHECK(wm_export_at(b, i, &name, &name_len, &fb) == WM_OK && fb.kind == fa.kind);
        uint32_t np, nr;
        const uint8_t *pt, *rt;
        wm_func_sig(fa.of.func, &np, &pt, &nr, &rt);
        if (np > MAX_VALS || nr > MAX_VALS) {
            continue;
        }
        wm_val args[MAX_VALS];
        wm_val res_a[MAX_VALS], res_b[MAX_VALS];
        for (uint32_t k = 0; k < np; k++) {
            args[k] = arg_for(pt[k], called + k);
        }
        called++;
        rc = wm_call(a, fa.of.func, args, np, res_a, nr, CALL_FUEL, &ea);
        bool out_of_fuel = rc == WM_ERR_OUT_OF_FUEL;
        if (out_of_fuel) {
            CHECK(wm_suspended(a));
        }
#if WM_PREDECODE
        if (comparable_c) {
            /* C: every other call in one piece with A's fuel (it must then leave the same
             * fuel: the same check points, the same charges), the others in slices */
            wm_extern fc;
            wm_err rcc;
            wm_error ec;
            CHECK(wm_export_at(c, i, &name, &name_len, &fc) == WM_OK && fc.kind == fa.kind);
            if (called % 2u == 1u) {
                rcc = wm_call(c, fc.of.func, args, np, res_b, nr, CALL_FUEL, &ec);
                CHECK(rcc == rc && wm_fuel_left(c) == wm_fuel_left(a));
                if (rcc == WM_ERR_OUT_OF_FUEL) {
                    CHECK(wm_suspended(c));
                    wm_abort(c);
                    comparable_c = false;
                }
            } else if (out_of_fuel ||
                       !call_sliced(c, fc.of.func, args, np, res_b, nr, 9u - slice, &rcc, &ec)) {
                comparable_c = false;
            } else {
                CHECK(rcc == rc);
            }
            if (comparable_c) {
                if (rc == WM_OK) {
                    CHECK(same_results(res_a, res_b, nr, true));
                } else {
                    CHECK(ea.msg != NULL && ec.msg != NULL && strcmp(ea.msg, ec.msg) == 0);
                    CHECK(same_trace(a, c));
                }
            }
        }
#endif
        if (out_of_fuel) {
            wm_abort(a);
            comparable = false; /* B would stop elsewhere: the states part from here */
            comparable_c = false;
        }
        if (!comparable) {
            continue;
        }
        wm_err rcb;
        if (!call_sliced(b, fb.of.func, args, np, res_b, nr, slice, &rcb, &eb)) {
            comparable = false;
            continue;
        }
        CHECK(rcb == rc);
        if (rc == WM_OK) {
            CHECK(same_results(res_a, res_b, nr, false));
        } else {
            CHECK(ea.msg != NULL && eb.msg != NULL && strcmp(ea.msg, eb.msg) == 0);
            CHECK(same_trace(a, b));
        }
    }
    for (unsigned k = 1; k < NINST; k++) {
        if (inst[k] == NULL || !(k == 1u ? comparable : comparable_c)) {
            continue;
        }
        wm_memory *ma = wm_instance_memory(a), *mk = wm_instance_memory(inst[k]);
        CHECK((ma == NULL) == (mk == NULL));
        if (ma != NULL) {
            CHECK(wm_memory_bytes(ma) == wm_memory_bytes(mk));
            CHECK(same_memory(wm_memory_data(ma), wm_memory_data(mk), wm_memory_bytes(ma), k > 1u));
        }
    }
    return 0;
}
