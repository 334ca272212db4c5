/* libFuzzer target: the device-side loader, validator, instantiation and interpreter
 * (core/runtime).
 *
 * Input = a wasm module. wm_load it; if it validates, instantiate it twice (each instance
 * in its own arena with its own copy of the spec suite's `spectest` imports, so spec-suite
 * seeds link) under a small board's limits, then call up to 8 exported functions on both with edge-case
 * arguments: instance A in one call with a fuel budget, instance B suspended and resumed
 * in slices of 1..8 units of fuel.
 *
 * Oracles besides the sanitizers:
 *   - a refusal carries a known code, a message and an offset inside the module;
 *   - suspending and resuming never changes what a call does: B must end every call exactly
 *     like A (same status, results and trap message) and hold the same memory afterwards. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wasmote.h"
#include "fuzz_check.h"

/* Sized like a board's module RAM: big enough for real modules, small enough that a
 * hostile one hits the limits instead of the host's memory. The module gets one arena and
 * each instance its own, so that both instances' memories can grow in place alike (growth
 * past the reservation needs the memory to be its arena's last allocation). */
#define MODULE_ARENA (1u * 1024u * 1024u)
#define INSTANCE_ARENA (1536u * 1024u)
#define CALL_FUEL 5000u
#define MAX_CALLS 8u
#define MAX_VALS 16u

static uint8_t g_module_mem[MODULE_ARENA] __attribute__((aligned(16)));
static uint8_t g_inst_mem[2][INSTANCE_ARENA] __attribute__((aligned(16)));

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

static bool same_results(const wm_val *a, const wm_val *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (a[i].type != b[i].type) {
            return false;
        }
        switch (a[i].type) {
        case WM_I32:
        case WM_F32:
            if (a[i].of.i32 != b[i].of.i32) {
                return false;
            }
            break;
        case WM_I64:
        case WM_F64:
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_arena arena, arena_a, arena_b;
    wm_module *mod = NULL;
    wm_error err;
    wm_arena_init(&arena, g_module_mem, sizeof g_module_mem);
    wm_arena_init(&arena_a, g_inst_mem[0], sizeof g_inst_mem[0]);
    wm_arena_init(&arena_b, g_inst_mem[1], sizeof g_inst_mem[1]);

    wm_err rc = wm_load(&arena, data, size, &mod, &err);
    if (rc != WM_OK) {
        CHECK(err.code == rc && err.msg != NULL && err.offset <= size);
        CHECK(rc == WM_ERR_MALFORMED || rc == WM_ERR_INVALID || rc == WM_ERR_NO_MEMORY ||
              rc == WM_ERR_LIMIT);
        return 0;
    }
    CHECK(wm_module_ram(mod) <= arena.used);

    wm_limits lim;
    wm_limits_default(&lim);
    lim.stack_slots = 4096;
    lim.call_depth = 128;
    lim.mem_cap_bytes = 256u * 1024u;
    lim.table_cap = 256;
    lim.mem_reserve = 64u * 1024u;
    lim.start_fuel = 20000;
    wm_linker la, lb;
    wm_instance *a = NULL, *b = NULL;
    wm_error ea, eb;
    CHECK(spectest(&la, &arena_a) && spectest(&lb, &arena_b));
    wm_err ra = wm_instantiate(&arena_a, mod, &la, &lim, &a, &ea);
    wm_err rb = wm_instantiate(&arena_b, mod, &lb, &lim, &b, &eb);
    CHECK(ra == rb); /* same module, same limits, same arena size: same outcome */
    if (ra != WM_OK) {
        CHECK(ea.msg != NULL && eb.msg != NULL && strcmp(ea.msg, eb.msg) == 0);
        return 0;
    }

    unsigned slice = 1u + (size > 0 ? data[size - 1] % 8u : 0u);
    bool comparable = true;
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
        if (rc == WM_ERR_OUT_OF_FUEL) {
            CHECK(wm_suspended(a));
            wm_abort(a);
            comparable = false; /* B would stop elsewhere: the states part from here */
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
            CHECK(same_results(res_a, res_b, nr));
        } else {
            CHECK(ea.msg != NULL && eb.msg != NULL && strcmp(ea.msg, eb.msg) == 0);
        }
    }
    if (comparable) {
        wm_memory *ma = wm_instance_memory(a), *mb = wm_instance_memory(b);
        CHECK((ma == NULL) == (mb == NULL));
        if (ma != NULL) {
            CHECK(wm_memory_bytes(ma) == wm_memory_bytes(mb));
            CHECK(memcmp(wm_memory_data(ma), wm_memory_data(mb), wm_memory_bytes(ma)) == 0);
        }
    }
    return 0;
}
