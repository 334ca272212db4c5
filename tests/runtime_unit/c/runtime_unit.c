/* Unit checks of the runtime core through its public API (posix, hosted).
 * Usage: runtime_unit WASM_DIR CASE ; prints "ok" and exits 0, or prints why and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "wasmote.h"
#include "wm_internal.h" /* float helpers, checked against the host's libm */

static const char *dir;
static unsigned char *arena_mem;
static wm_arena arena;

#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

static void *keep[64]; /* module bytes stay alive while executed in place; freed at exit */
static int nkeep;

static unsigned char *read_wasm(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    CHECK(b && fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static wm_instance *instantiate(const char *name, const wm_linker *l, const wm_limits *lim) {
    size_t len;
    unsigned char *b = read_wasm(name, &len);
    wm_module *m;
    wm_instance *inst;
    wm_error e;
    CHECK(wm_load(&arena, b, len, &m, &e) == WM_OK);
    CHECK(wm_instantiate(&arena, m, l, lim, &inst, &e) == WM_OK);
    CHECK(nkeep < 64);
    keep[nkeep++] = b; /* code executes in place: the bytes must outlive the instance */
    return inst;
}

static wm_val i32v(uint32_t v) { wm_val x; x.type = WM_I32; x.of.i64 = 0; x.of.i32 = v; return x; }

static void case_fuel(void) {
    wm_instance *inst = instantiate("loop", NULL, NULL);
    wm_val arg = i32v(1000), res;
    wm_error e;
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 500500);
    /* small budgets: suspended many times, same answer in the end */
    int suspensions = 0;
    wm_err rc = wm_call_export(inst, "sum", &arg, 1, &res, 1, 7, &e);
    while (rc == WM_ERR_OUT_OF_FUEL) {
        CHECK(wm_suspended(inst));
        CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 7, &e) == WM_ERR_STATE);
        suspensions++;
        rc = wm_resume(inst, 7, &res, 1, &e);
    }
    CHECK(rc == WM_OK && res.of.i32 == 500500);
    CHECK(suspensions > 100 && suspensions < 1000);
    CHECK(!wm_suspended(inst));
    /* recursion is charged at function entry */
    arg = i32v(15);
    suspensions = 0;
    rc = wm_call_export(inst, "fib", &arg, 1, &res, 1, 10, &e);
    while (rc == WM_ERR_OUT_OF_FUEL) { suspensions++; rc = wm_resume(inst, 10, &res, 1, &e); }
    CHECK(rc == WM_OK && res.of.i32 == 610 && suspensions > 100);
    /* an aborted suspended call leaves the instance usable */
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 1, &e) == WM_ERR_OUT_OF_FUEL);
    wm_abort(inst);
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 120);
    /* a start function that never ends is stopped by the start fuel */
    size_t len;
    unsigned char *b = read_wasm("hang", &len);
    wm_module *m;
    wm_instance *hung;
    wm_limits lim;
    wm_limits_default(&lim);
    lim.start_fuel = 10000;
    CHECK(wm_load(&arena, b, len, &m, &e) == WM_OK);
    CHECK(wm_instantiate(&arena, m, NULL, &lim, &hung, &e) == WM_ERR_OUT_OF_FUEL);
    free(b);
}

static void case_exhaustion(void) {
    wm_limits lim;
    wm_limits_default(&lim);
    lim.call_depth = 50;
    lim.stack_slots = 4096;
    wm_instance *inst = instantiate("loop", NULL, &lim);
    wm_val arg = i32v(0), res;
    wm_error e;
    CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_EXHAUSTION);
    CHECK(strcmp(e.msg, "call stack exhausted") == 0);
    arg = i32v(10); /* depth 10 fits */
    CHECK(wm_call_export(inst, "fib", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 55);
    /* value stack limit: tiny stack, shallow depth limit never reached */
    lim.call_depth = 100000;
    lim.stack_slots = 64;
    inst = instantiate("loop", NULL, &lim);
    arg = i32v(0);
    CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_EXHAUSTION);
}

static wm_instance *other;
static int cb_calls;

static wm_err cb(wm_instance *inst, void *user, const wm_val *args, wm_val *results) {
    (void)user;
    wm_val r;
    wm_error e;
    cb_calls++;
    /* re-enter the calling instance, then another one */
    wm_err rc = wm_call_export(inst, "inner", args, 1, &r, 1, WM_FUEL_UNLIMITED, &e);
    if (rc) return rc;
    wm_val r2;
    rc = wm_call_export(other, "inner", &r, 1, &r2, 1, WM_FUEL_UNLIMITED, &e);
    if (rc) return rc;
    results[0] = r2;
    return WM_OK;
}

static wm_err boom(wm_instance *inst, void *user, const wm_val *args, wm_val *results) {
    (void)user; (void)args; (void)results;
    return wm_trap(inst, "boom!");
}

static void case_reentry(void) {
    static const wm_host_func hcb = {"env", "cb", "i:i", cb, NULL};
    static const wm_host_func hboom = {"env", "boom", ":", boom, NULL};
    wm_linker l;
    wm_linker_init(&l, &arena);
    CHECK(wm_linker_add_host(&l, &hcb) == WM_OK);
    CHECK(wm_linker_add_host(&l, &hboom) == WM_OK);
    wm_instance *a = instantiate("reent", &l, NULL);
    other = instantiate("reent", &l, NULL);
    wm_val arg = i32v(5), res;
    wm_error e;
    CHECK(wm_call_export(a, "outer", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 21 && cb_calls == 1); /* (5*2)*2 + 1 */
    CHECK(wm_call_export(a, "explode", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_TRAP);
    CHECK(strcmp(e.msg, "boom!") == 0);
    /* still usable after the trap, and fuel-limited outer calls work too */
    CHECK(wm_call_export(a, "outer", &arg, 1, &res, 1, 1000, &e) == WM_OK && res.of.i32 == 21);
    /* wrong argument types are refused before running */
    wm_val f = arg;
    f.type = WM_F32;
    CHECK(wm_call_export(a, "outer", &f, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_ARGS);
    CHECK(wm_call_export(a, "nope", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_NOT_FOUND);
}

/* A host function that blocks every other call: the caller suspends before the call,
 * wm_resume makes it again with the same arguments. */
static int wait_calls;
static wm_err wait_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results) {
    (void)inst; (void)user;
    if (wait_calls++ % 2 == 0) return WM_ERR_BLOCKED;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return WM_OK;
}
static wm_err poke_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results) {
    (void)user; (void)args; (void)results;
    wm_yield(inst);
    return WM_OK;
}

static void case_blocking(void) {
    static const wm_host_func hw = {"env", "wait", "ii:i", wait_fn, NULL};
    static const wm_host_func hp = {"env", "poke", ":", poke_fn, NULL};
    wm_linker l;
    wm_linker_init(&l, &arena);
    CHECK(wm_linker_add_host(&l, &hw) == WM_OK);
    CHECK(wm_linker_add_host(&l, &hp) == WM_OK);
    wm_instance *inst = instantiate("block", &l, NULL);
    wm_val arg = i32v(10), res;
    wm_error e;
    wm_err r = wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e);
    int blocks = 0;
    while (r == WM_ERR_BLOCKED) {
        CHECK(wm_suspended(inst));
        blocks++;
        /* a suspended instance refuses new calls until resumed or aborted */
        CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 10, &e) == WM_ERR_STATE);
        r = wm_resume(inst, WM_FUEL_UNLIMITED, &res, 1, &e);
    }
    CHECK(r == WM_OK && blocks == 10 && wait_calls == 20);
    CHECK(res.of.i32 == 10 * 1000 + 45); /* sum of i + 1000 for i < 10 */
    CHECK(!wm_suspended(inst));
    /* abort while blocked: the retry is forgotten, the next call starts afresh */
    wait_calls = 0;
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_BLOCKED);
    wm_abort(inst);
    CHECK(!wm_suspended(inst));
    arg = i32v(1);
    wait_calls = 1; /* the next call completes at once */
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 1000);
    /* wm_yield from a host function: suspended at the next check point, resumable */
    arg = i32v(500);
    CHECK(wm_call_export(inst, "spin", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_OUT_OF_FUEL);
    CHECK(wm_suspended(inst));
    CHECK(wm_resume(inst, WM_FUEL_UNLIMITED, &res, 1, &e) == WM_OK && res.of.i32 == 500);
}

static void case_subpage(void) {
    wm_limits lim;
    wm_limits_default(&lim);
    lim.mem_cap_bytes = 4096;
    wm_instance *inst = instantiate("mem", NULL, &lim);
    wm_val args[2] = {i32v(4092), i32v(0x11223344)}, res;
    wm_error e;
    CHECK(wm_memory_pages(wm_instance_memory(inst)) == 1);
    CHECK(wm_memory_bytes(wm_instance_memory(inst)) == 4096);
    CHECK(wm_call_export(inst, "store", args, 2, NULL, 0, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(wm_call_export(inst, "load", args, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 0x11223344);
    args[0] = i32v(4093);
    CHECK(wm_call_export(inst, "load", args, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_TRAP);
    CHECK(strcmp(e.msg, "out of bounds memory access") == 0);
    CHECK(wm_call_export(inst, "size", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 1);
    args[0] = i32v(1);
    CHECK(wm_call_export(inst, "grow", args, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 0xffffffffu);
    args[0] = i32v(0);
    CHECK(wm_call_export(inst, "grow", args, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 1);
    /* host view of the same bounds */
    CHECK(wm_mem_ptr(inst, 0, 4) && memcmp(wm_mem_ptr(inst, 0, 4), "wasm", 4) == 0);
    CHECK(wm_mem_ptr(inst, 4092, 4) != NULL);
    CHECK(wm_mem_ptr(inst, 4093, 4) == NULL);
    CHECK(wm_mem_ptr(inst, 0xffffffffu, 2) == NULL);
}

static uint32_t rng = 12345;
static uint32_t next_rand(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }

/* Truncated and mutated modules must be rejected or accepted, never crash (run under ASan). */
static void case_hostile(void) {
    const char *names[] = {"loop", "reent", "mem"};
    unsigned char *copy = malloc(65536);
    int rejected = 0, total = 0;
    for (int k = 0; k < 3; k++) {
        size_t len;
        unsigned char *b = read_wasm(names[k], &len);
        for (size_t cut = 0; cut < len; cut++) {
            size_t mark = wm_arena_mark(&arena);
            wm_module *m;
            wm_error e;
            unsigned char *t = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
            memcpy(t, b, cut);
            if (wm_load(&arena, t, cut, &m, &e) != WM_OK) rejected++;
            total++;
            free(t);
            wm_arena_release(&arena, mark);
        }
        for (int i = 0; i < 3000; i++) {
            size_t mark = wm_arena_mark(&arena);
            wm_module *m;
            wm_error e;
            memcpy(copy, b, len);
            int flips = 1 + (int)(next_rand() % 4);
            for (int f = 0; f < flips; f++) copy[8 + next_rand() % (len - 8)] = (unsigned char)next_rand();
            unsigned char *t = malloc(len);
            memcpy(t, copy, len);
            if (wm_load(&arena, t, len, &m, &e) == WM_OK) {
                wm_instance *inst;
                static const wm_host_func hcb = {"env", "cb", "i:i", boom, NULL};
                wm_linker l;
                wm_linker_init(&l, &arena);
                wm_linker_add_host(&l, &hcb);
                if (wm_instantiate(&arena, m, &l, NULL, &inst, &e) == WM_OK) {
                    wm_val args[2] = {i32v(next_rand() % 70000), i32v(3)}, res[4];
                    for (uint32_t x = 0; x < wm_export_count(inst); x++) {
                        const char *nm;
                        uint32_t nl;
                        wm_extern ext;
                        wm_export_at(inst, x, &nm, &nl, &ext);
                        if (ext.kind != WM_EXTERN_FUNC) continue;
                        uint32_t np, nr;
                        const uint8_t *pt, *rt;
                        wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
                        if (np > 2 || nr > 4) continue;
                        int ok = 1;
                        for (uint32_t q = 0; q < np; q++) ok &= pt[q] == WM_I32;
                        if (ok) wm_call(inst, ext.of.func, args, np, res, nr, 100000, &e);
                    }
                }
            } else {
                rejected++;
                CHECK(e.msg != NULL && e.offset <= len);
            }
            total++;
            free(t);
            wm_arena_release(&arena, mark);
        }
        free(b);
    }
    CHECK(rejected > total / 2);
    free(copy);
    /* hand-made malformed modules found by fuzzing */
    static const unsigned char datacount_only[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0x0c, 1, 1};
    wm_module *m;
    wm_error e;
    CHECK(wm_load(&arena, datacount_only, sizeof datacount_only, &m, &e) == WM_ERR_MALFORMED);
}

static void case_arena(void) {
    size_t len;
    unsigned char *b = read_wasm("loop", &len);
    for (size_t size = 0; size < 4096; size += 7) {
        wm_arena a;
        unsigned char *mem = malloc(size ? size : 1);
        wm_module *m;
        wm_error e;
        wm_arena_init(&a, mem, size);
        wm_err rc = wm_load(&a, b, len, &m, &e);
        CHECK(rc == WM_OK || rc == WM_ERR_NO_MEMORY);
        if (rc == WM_OK) {
            wm_instance *inst;
            wm_limits lim;
            wm_limits_default(&lim);
            lim.stack_slots = 64;
            lim.call_depth = 8;
            rc = wm_instantiate(&a, m, NULL, &lim, &inst, &e);
            CHECK(rc == WM_OK || rc == WM_ERR_NO_MEMORY);
        }
        free(mem);
    }
    free(b);
}

static uint64_t rand64(void) { return ((uint64_t)next_rand() << 40) ^ ((uint64_t)next_rand() << 20) ^ next_rand(); }

static double d_of(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static uint64_t b_of(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
static float f_of(uint32_t b) { float d; memcpy(&d, &b, 4); return d; }
static uint32_t fb_of(float d) { uint32_t b; memcpy(&b, &d, 4); return b; }

/* Bit-exact float helpers against the host libm on random and edge bit patterns
 * (NaNs excluded: their payload rules are the spec suite's job). */
static void case_floats(void) {
    for (int i = 0; i < 400000; i++) {
        uint64_t a = rand64();
        if (i % 4 == 1) a = b_of((double)(int64_t)(rand64() % 2000001) / 4.0 - 250000.0);
        if (i % 4 == 2) a &= 0x800fffffffffffffull | ((uint64_t)(1023 + next_rand() % 60) << 52);
        double d = d_of(a);
        if (isnan(d)) continue;
        CHECK(wm_f64_sqrt(a) == b_of(sqrt(d)) || (d < 0 && isnan(d_of(wm_f64_sqrt(a)))));
        CHECK(wm_f64_round(a, 0) == b_of(ceil(d)));
        CHECK(wm_f64_round(a, 1) == b_of(floor(d)));
        CHECK(wm_f64_round(a, 2) == b_of(trunc(d)));
        CHECK(wm_f64_round(a, 3) == b_of(nearbyint(d)));
        uint32_t f = (uint32_t)a;
        if (i % 4 == 3) f = fb_of((float)((int32_t)(next_rand() % 20001) - 10000) / 8.0f);
        float x = f_of(f);
        if (isnan(x)) continue;
        CHECK(wm_f32_sqrt(f) == fb_of(sqrtf(x)) || (x < 0 && isnan(f_of(wm_f32_sqrt(f)))));
        CHECK(wm_f32_round(f, 0) == fb_of(ceilf(x)));
        CHECK(wm_f32_round(f, 1) == fb_of(floorf(x)));
        CHECK(wm_f32_round(f, 2) == fb_of(truncf(x)));
        CHECK(wm_f32_round(f, 3) == fb_of(nearbyintf(x)));
    }
    /* subnormals and extremes */
    uint64_t edge[] = {1, 2, 3, 0x000fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull,
                       0x7ff0000000000000ull, 0x3fe0000000000000ull, 0x3ff8000000000000ull};
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++)
        CHECK(wm_f64_sqrt(edge[i]) == b_of(sqrt(d_of(edge[i]))));
}

/* wm_call refuses a funcref argument that is not null or a function of the callee's
 * instance: call_indirect would call through any address (issue 14, item 1). */
static void case_refs(void) {
    wm_instance *a = instantiate("refs", NULL, NULL), *b = instantiate("refs", NULL, NULL);
    wm_extern ca, ob;
    wm_val own_b, arg, res;
    wm_error e;
    CHECK(wm_export(a, "callref", &ca) == WM_OK);
    CHECK(wm_call_export(b, "own", NULL, 0, &own_b, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(own_b.type == WM_FUNCREF && own_b.of.func != NULL);
    /* a forged address: refused before any code runs */
    static const unsigned char fake[64] = {0x41};
    arg.type = WM_FUNCREF;
    arg.of.func = (const wm_func *)(const void *)fake;
    CHECK(wm_call(a, ca.of.func, &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_ARGS);
    CHECK(strstr(e.msg, "funcref") != NULL);
    /* a pointer into the middle of a real function object */
    arg.of.func = (const wm_func *)(const void *)((const char *)own_b.of.func + 4);
    CHECK(wm_call(a, ca.of.func, &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_ARGS);
    /* another instance's function */
    arg.of.func = own_b.of.func;
    CHECK(wm_call(a, ca.of.func, &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_ARGS);
    /* its own function and null are fine */
    CHECK(wm_export(b, "callref", &ob) == WM_OK);
    CHECK(wm_call(b, ob.of.func, &own_b, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 7);
    arg.of.func = NULL;
    CHECK(wm_call(a, ca.of.func, &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_TRAP);
    /* an externref stays an opaque word */
    arg.type = WM_EXTERNREF;
    arg.of.ext = 0x4141;
    CHECK(wm_call_export(a, "ext", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 0);
}

int main(int argc, char **argv) {
    if (argc != 3) { printf("usage: runtime_unit WASM_DIR CASE\n"); return 2; }
    dir = argv[1];
    size_t size = 64u << 20;
    arena_mem = malloc(size);
    wm_arena_init(&arena, arena_mem, size);
    const char *c = argv[2];
    if (!strcmp(c, "fuel")) case_fuel();
    else if (!strcmp(c, "exhaustion")) case_exhaustion();
    else if (!strcmp(c, "reentry")) case_reentry();
    else if (!strcmp(c, "subpage")) case_subpage();
    else if (!strcmp(c, "blocking")) case_blocking();
    else if (!strcmp(c, "hostile")) case_hostile();
    else if (!strcmp(c, "arena")) case_arena();
    else if (!strcmp(c, "floats")) case_floats();
    else if (!strcmp(c, "refs")) case_refs();
    else { printf("unknown case %s\n", c); return 2; }
    for (int i = 0; i < nkeep; i++) free(keep[i]);
    free(arena_mem);
    printf("ok\n");
    return 0;
}
