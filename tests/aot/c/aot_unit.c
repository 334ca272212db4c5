/* Checks of native (AOT) execution through the public API (wasmote.h + aot.h), posix, built
 * with ASan+UBSan. Every case runs twice, interpreted and AOT-compiled, and what it observes
 * (results, error codes, suspension counts, fuel left) must be identical: AOT is invisible
 * above wasmote.h.
 * Built with -DWM_AOT_ISO_SIM, the AOT pass runs isolated (core/aot/aot_iso.c through the
 * simulated gate of aot/arch/iso_sim.c): the same observations again.
 * Usage: aot_unit DIR CASE   (DIR holds NAME.wasm and NAME.aot, the AOT section payload)
 * Prints "ok" and exits 0, or prints why and exits 1. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aot.h"
#include "wasmote.h"

static int use_aot; /* this pass: attach AOT code (a failed check names the pass) */
#define CHECK_CONTEXT (use_aot ? "aot" : "interpreter")
#include "harness.h"

static const char *dir;
static unsigned char *arena_mem;
static const size_t size_of_arena = 64u << 20;
static wm_arena arena;
/* What a case observed, compared between the interpreter's pass and the AOT code's: per
 * context (redteam: the line of redteam.calls) a running hash and count of its observations,
 * so a case may observe without limit. Only a context that differs is kept in full: the
 * case runs again, keeping that context's observations (record), to name the first that
 * differs. */
#define CONTEXTS_MAX 4096
static uint64_t ctx_hash[2][CONTEXTS_MAX];
static int ctx_count[2][CONTEXTS_MAX];
static int context;         /* a case's position when it noted (redteam: the call's line) */
static int record = -1;     /* the context kept in full on the second run */
#define TRACE_MAX (1 << 18) /* observations of the recorded context */
static uint64_t trace[2][TRACE_MAX];
static int ntrace[2];

static void note(uint64_t v)
{
    CHECK(context >= 0 && context < CONTEXTS_MAX);
    /* FNV's step: for a given v a bijection (odd multiplier), so one differing observation
     * always changes the line's hash (the mixer 0x9E37..., h ^= h >> 29 cost 2.5% of the
     * case's CPU, this nothing measurable) */
    ctx_hash[use_aot][context] = (ctx_hash[use_aot][context] ^ v) * 1099511628211ull;
    ctx_count[use_aot][context]++;
    if (context != record) return;
    CHECK(ntrace[use_aot] < TRACE_MAX);
    trace[use_aot][ntrace[use_aot]++] = v;
}

static void *keep[256]; /* module bytes stay alive while executed in place */
static int nkeep;

static unsigned char *read_module(const char *name, const char *ext, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    unsigned char *b = read_file(path, len);
    CHECK(nkeep < 256);
    keep[nkeep++] = b;
    return b;
}

/* AOT code runs from a read+execute mapping (page aligned, as its linker assumed). */
static const uint8_t *exec_copy(const uint8_t *code, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (len + page - 1) / page * page;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    memcpy(p, code, len);
    CHECK(mprotect(p, size, PROT_READ | PROT_EXEC) == 0);
    return p;
}

static wm_module *load(const char *name, int aot)
{
    size_t len;
    unsigned char *b = read_module(name, "wasm", &len);
    wm_module *m;
    wm_error e;
    CHECK(wm_load(&arena, b, len, &m, &e) == WM_OK); /* b is kept: code runs in place */
    if (aot) {
        size_t alen;
        unsigned char *a = read_module(name, "aot", &alen);
        const uint8_t *code = exec_copy(a, alen);
        e.msg = NULL;
#if defined(WM_AOT_ISO_SIM)
        /* isolated (the simulation: the gate and services without an MPU), except a module
         * that imports a table, which isolation refuses: it calls the isolated peer */
        wm_err rc =
            strcmp(name, "mixed") != 0
                ? wm_aot_attach_isolated(m, code, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e)
                : wm_aot_attach(m, code, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e);
#else
        wm_err rc = wm_aot_attach(m, code, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e);
#endif
        if (rc != WM_OK) printf("attach %s: %s\n", name, e.msg);
        CHECK(rc == WM_OK && wm_aot_attached(m));
    }
    return m;
}

static wm_instance *instantiate_as(const char *name, const wm_linker *l, const wm_limits *lim,
                                   int aot)
{
    wm_module *m = load(name, aot);
    wm_instance *inst;
    wm_error e;
    CHECK(wm_instantiate(&arena, m, l, lim, &inst, &e) == WM_OK);
    return inst;
}

static wm_instance *instantiate(const char *name, const wm_linker *l, const wm_limits *lim)
{
    return instantiate_as(name, l, lim, use_aot);
}

/* Calls with a budget, resuming with the same budget until done; returns suspensions. */
static int call_sliced(wm_instance *inst, const char *f, wm_val arg, uint64_t slice, wm_val *res)
{
    wm_error e;
    int n = 0;
    wm_err rc = wm_call_export(inst, f, &arg, 1, res, 1, slice, &e);
    while (rc == WM_ERR_OUT_OF_FUEL) {
        CHECK(wm_suspended(inst));
        CHECK(wm_call_export(inst, f, &arg, 1, res, 1, slice, &e) == WM_ERR_STATE);
        n++;
        rc = wm_resume(inst, slice, res, 1, &e);
    }
    CHECK(rc == WM_OK);
    CHECK(!wm_suspended(inst));
    return n;
}

/* ---- cases ------------------------------------------------------------------------------- */

static void sliced(wm_instance *inst, const char *f, const wm_val *args, uint32_t nargs,
                   uint32_t nres, uint64_t slice);

static void case_fuel(void)
{
    wm_instance *inst = instantiate("loop", NULL, NULL);
    wm_val arg = i32v(1000), res;
    wm_error e;
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 500500);
    note(WM_FUEL_UNLIMITED - wm_fuel_left(inst)); /* units used: identical in both engines */
    /* a loop preempted every 7 units and resumed gives the same result */
    int n = call_sliced(inst, "sum", arg, 7, &res);
    CHECK(res.of.i32 == 500500 && n > 100);
    note((uint64_t)n);
    note(wm_fuel_left(inst));
    for (uint64_t budget = 1; budget < 40; budget += 3) {
        n = call_sliced(inst, "sum", i32v(100), budget, &res);
        CHECK(res.of.i32 == 5050);
        note((uint64_t)n);
        note(wm_fuel_left(inst));
    }
    /* recursion is charged at function entry */
    n = call_sliced(inst, "fib", i32v(15), 10, &res);
    CHECK(res.of.i32 == 610 && n > 100);
    note((uint64_t)n);
    /* a callee that calls nothing: its entry charged with the call, exactly */
    wm_instance *leaf = instantiate("leaf", NULL, NULL);
    arg = i32v(100);
    CHECK(wm_call_export(leaf, "leaf_loop", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 600);
    note(WM_FUEL_UNLIMITED - wm_fuel_left(leaf));
    CHECK(wm_call_export(leaf, "leaf", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    note(WM_FUEL_UNLIMITED - wm_fuel_left(leaf));
    for (uint64_t budget = 1; budget < 30; budget += 2) {
        n = call_sliced(leaf, "leaf_loop", i32v(20), budget, &res);
        CHECK(res.of.i32 == 120);
        note((uint64_t)n);
        note(wm_fuel_left(leaf));
    }
    wm_val two[2] = {i32v(20), i32v(7)};
    for (uint64_t budget = 1; budget < 40; budget += 3) {
        sliced(leaf, "div_loop", two, 2, 1, budget);
    }
    /* a trap in the leaf: the fuel left is the interpreter's, in any slice */
    two[1] = i32v(0);
    for (uint64_t budget = 5; budget < 60; budget += 6) {
        wm_err rc = wm_call_export(leaf, "div_loop", two, 2, &res, 1, budget, &e);
        while (rc == WM_ERR_OUT_OF_FUEL) rc = wm_resume(leaf, budget, &res, 1, &e);
        CHECK(rc == WM_ERR_TRAP);
        note(wm_fuel_left(leaf));
    }
    /* calls of functions that call, in each convention for the slice (calls.wat) */
    wm_instance *calls = instantiate("calls", NULL, NULL);
    for (uint64_t budget = 1; budget < 80; budget += 4) {
        sliced(calls, "run", &arg, 1, 1, budget);
    }
    arg = i32v(1000);
    /* back-edges through br_table */
    n = call_sliced(inst, "table_loop", i32v(500), 9, &res);
    CHECK(res.of.i32 == 1500);
    note((uint64_t)n);
    /* bulk operations: charged by size before they run, in the pieces the fuel pays for */
    CHECK(wm_call_export(inst, "fill", &arg, 1, &res, 1, 1000, &e) == WM_OK && res.of.i32 == 7);
    note(wm_fuel_left(inst));
    n = call_sliced(inst, "fill", i32v(60000), 100, &res);
    CHECK(res.of.i32 == 7 && n > 30);
    note((uint64_t)n);
    note(wm_fuel_left(inst));
    /* an aborted suspended call leaves the instance usable */
    arg = i32v(15);
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 1, &e) == WM_ERR_OUT_OF_FUEL);
    wm_abort(inst);
    CHECK(!wm_suspended(inst));
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 120);
    /* a start function that never ends is stopped by the start fuel */
    wm_module *m = load("hang", use_aot);
    wm_instance *hung;
    wm_limits lim;
    wm_limits_default(&lim);
    lim.start_fuel = 10000;
    CHECK(wm_instantiate(&arena, m, NULL, &lim, &hung, &e) == WM_ERR_OUT_OF_FUEL);
}

static void case_exhaustion(void)
{
    wm_limits lim;
    wm_limits_default(&lim);
    lim.call_depth = 50;
    lim.stack_slots = 4096; /* 32 KiB of value stack = native stack of AOT code */
    wm_instance *inst = instantiate("loop", NULL, &lim);
    wm_val arg = i32v(0), res;
    wm_error e;
    for (int k = 0; k < 3; k++) { /* a trap, never a crash, and again */
        CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
              WM_ERR_EXHAUSTION);
        CHECK(strcmp(e.msg, "call stack exhausted") == 0);
        wm_val w = i64v(1);
        CHECK(wm_call_export(inst, "wide", &w, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
              WM_ERR_EXHAUSTION);
        arg = i32v(10); /* usable afterwards */
        CHECK(wm_call_export(inst, "fib", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
        CHECK(res.of.i32 == 55);
        arg = i32v(0);
    }
    note(1);
    /* a stack too small for even one frame */
    lim.call_depth = 100000;
    lim.stack_slots = 64;
    inst = instantiate("loop", NULL, &lim);
    CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
          WM_ERR_EXHAUSTION);
    /* with fuel: exhausted before it runs out */
    lim.stack_slots = 4096;
    lim.call_depth = 50;
    inst = instantiate("loop", NULL, &lim);
    CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, 1u << 30, &e) == WM_ERR_EXHAUSTION);
    /* recursion through a function that calls only a leaf and so checks no stack of its
     * own (host_tools/wasmote/aot/stackcheck.py): the recursive one still traps */
    inst = instantiate("stackcheck", NULL, &lim);
    wm_val n64 = i64v(3);
    CHECK(wm_call_export(inst, "deep", &n64, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
          WM_ERR_EXHAUSTION);
    CHECK(strcmp(e.msg, "call stack exhausted") == 0);
    CHECK(wm_call_export(inst, "twice", &n64, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    note(res.of.i64);
    note(WM_FUEL_UNLIMITED - wm_fuel_left(inst));
}

/* host functions (host.wat) */
static wm_instance *other;
static int wait_calls, cb_calls;
static uint64_t nested_fuel;

static wm_err wait_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    if (wait_calls++ % 2 == 0) return WM_ERR_BLOCKED;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return WM_OK;
}

static wm_err poke_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    (void)args;
    (void)results;
    wm_yield(inst);
    return WM_OK;
}

static wm_err peek_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    uint8_t *p = wm_mem_ptr(inst, args[0].of.i32, 4);
    if (!p) return wm_trap(inst, "peek out of bounds");
    results[0].of.i32 =
        (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    CHECK(wm_mem_ptr(inst, 65533, 4) == NULL);
    return WM_OK;
}

static wm_err cb_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    wm_val r, r2;
    wm_error e;
    cb_calls++;
    /* re-enter the calling instance, then another one */
    wm_err rc = wm_call_export(inst, "inner", args, 1, &r, 1, WM_FUEL_UNLIMITED, &e);
    if (rc) return rc;
    rc = wm_call_export(other, "inner", &r, 1, &r2, 1, WM_FUEL_UNLIMITED, &e);
    if (rc) return rc;
    /* a nested call that runs out of fuel is dropped; the host function sees it */
    wm_val n = i32v(1000);
    CHECK(wm_call_export(inst, "spin_inner", &n, 1, &r, 1, nested_fuel, &e) ==
          (nested_fuel < 1000 ? WM_ERR_OUT_OF_FUEL : WM_OK));
    CHECK(!wm_suspended(inst));
    results[0] = r2;
    return WM_OK;
}

static wm_err boom_fn(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    (void)args;
    (void)results;
    return wm_trap(inst, "boom!");
}

static wm_linker host_linker(void)
{
    static const wm_host_func hw = {"env", "wait", "ii:i", wait_fn, NULL};
    static const wm_host_func hp = {"env", "poke", ":", poke_fn, NULL};
    static const wm_host_func hk = {"env", "peek", "i:i", peek_fn, NULL};
    static const wm_host_func hc = {"env", "cb", "i:i", cb_fn, NULL};
    static const wm_host_func hb = {"env", "boom", ":", boom_fn, NULL};
    wm_linker l;
    wm_linker_init(&l, &arena);
    CHECK(wm_linker_add_host(&l, &hw) == WM_OK);
    CHECK(wm_linker_add_host(&l, &hp) == WM_OK);
    CHECK(wm_linker_add_host(&l, &hk) == WM_OK);
    CHECK(wm_linker_add_host(&l, &hc) == WM_OK);
    CHECK(wm_linker_add_host(&l, &hb) == WM_OK);
    return l;
}

static void case_host(void)
{
    wm_linker l = host_linker();
    wm_instance *inst = instantiate("host", &l, NULL);
    other = instantiate("host", &l, NULL);
    wm_val arg = i32v(10), res;
    wm_error e;
    /* blocking: suspended before the call, called again on resume, arguments intact */
    wait_calls = 0;
    wm_err r = wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e);
    int blocks = 0;
    while (r == WM_ERR_BLOCKED) {
        CHECK(wm_suspended(inst));
        blocks++;
        CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 10, &e) == WM_ERR_STATE);
        r = wm_resume(inst, WM_FUEL_UNLIMITED, &res, 1, &e);
    }
    CHECK(r == WM_OK && blocks == 10 && wait_calls == 20);
    CHECK(res.of.i32 == 10 * 1000 + 45);
    note(WM_FUEL_UNLIMITED - wm_fuel_left(inst));
    /* abort while blocked: the retry is forgotten */
    wait_calls = 0;
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_BLOCKED);
    wm_abort(inst);
    CHECK(!wm_suspended(inst));
    arg = i32v(1);
    wait_calls = 1;
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 1000);
    /* wm_yield from a host function: suspended at the next check point, resumable */
    arg = i32v(500);
    CHECK(wm_call_export(inst, "spin", &arg, 1, &res, 1, 5000, &e) == WM_ERR_OUT_OF_FUEL);
    CHECK(wm_suspended(inst) && wm_fuel_left(inst) == 0);
    CHECK(wm_resume(inst, 5000, &res, 1, &e) == WM_OK && res.of.i32 == 500);
    note(wm_fuel_left(inst));
    /* the host reads the caller's memory */
    CHECK(wm_call_export(inst, "peek16", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 0x6d736177u); /* "wasm" */
    /* re-entrancy: the host function calls back into this and another instance */
    for (nested_fuel = 10; nested_fuel <= 10000; nested_fuel *= 1000) {
        arg = i32v(5);
        cb_calls = 0;
        CHECK(wm_call_export(inst, "outer", &arg, 1, &res, 1, 100000, &e) == WM_OK);
        CHECK(res.of.i32 == 21 && cb_calls == 1); /* (5*2)*2 + 1 */
        note(wm_fuel_left(inst));
    }
    /* a trap raised by a host function, with its message; usable afterwards */
    CHECK(wm_call_export(inst, "explode", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_ERR_TRAP);
    CHECK(strcmp(e.msg, "boom!") == 0);
    arg = i32v(5);
    CHECK(wm_call_export(inst, "outer", &arg, 1, &res, 1, 1000, &e) == WM_OK && res.of.i32 == 21);
}

/* ---- bulk work and host work, in every slicing (tests/runtime_unit/wat/bulk.wat) ---- */

static wm_err host_work(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    (void)results;
    wm_charge(inst, args[0].of.i32);
    return WM_OK;
}

/* Calls export f in slices of `slice` fuel; notes the suspensions and the fuel left. */
static void sliced(wm_instance *inst, const char *f, const wm_val *args, uint32_t nargs,
                   uint32_t nres, uint64_t slice)
{
    wm_val res[1];
    wm_error e;
    uint64_t n = 0;
    wm_err rc = wm_call_export(inst, f, args, nargs, res, nres, slice, &e);
    while (rc == WM_ERR_OUT_OF_FUEL) {
        CHECK(wm_suspended(inst) && wm_fuel_left(inst) == 0);
        n++;
        rc = wm_resume(inst, slice, res, nres, &e);
    }
    CHECK(rc == WM_OK);
    note(n);
    note(wm_fuel_left(inst));
    if (nres) note(res[0].of.i32);
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void case_bulk(void)
{
    static const wm_host_func work = {"env", "work", "i:", host_work, NULL};
    static const uint64_t slices[] = {1, 2, 7, 100, 5000, WM_FUEL_UNLIMITED};
    wm_linker l;
    wm_linker_init(&l, &arena);
    CHECK(wm_linker_add_host(&l, &work) == WM_OK);
    wm_limits lim;
    wm_limits_default(&lim);
    lim.table_cap = 256;
    wm_instance *inst = instantiate("bulk", &l, &lim);
    uint8_t *mem = wm_memory_data(wm_instance_memory(inst));
    for (size_t k = 0; k < sizeof slices / sizeof slices[0]; k++) {
        uint64_t sl = slices[k];
        wm_val a[3] = {i32v(5), i32v(0xC3), i32v(70000)};
        sliced(inst, "fill", a, 3, 0, sl);
        a[0] = i32v(1000);
        a[1] = i32v(3);
        a[2] = i32v(65000);
        sliced(inst, "copy", a, 3, 0, sl); /* overlapping forwards */
        a[0] = i32v(2);
        a[1] = i32v(900);
        a[2] = i32v(64000);
        sliced(inst, "copy", a, 3, 0, sl); /* backwards */
        a[0] = i32v(7);
        a[1] = i32v(2);
        a[2] = i32v(50);
        sliced(inst, "init", a, 3, 0, sl);
        note(checksum(mem, 17u << 16));
        a[0] = i32v(sl == 1 ? 2 : 1);
        sliced(inst, "grow", a, 1, 1, sl);
        note(wm_memory_pages(wm_instance_memory(inst)));
        a[0] = i32v(3);
        a[1] = i32v(40);
        sliced(inst, "tfill", a, 2, 0, sl);
        a[0] = i32v(10);
        a[1] = i32v(0);
        a[2] = i32v(50);
        sliced(inst, "tcopy", a, 3, 0, sl);
        a[0] = i32v(0);
        a[1] = i32v(4);
        a[2] = i32v(12);
        sliced(inst, "tinit", a, 3, 0, sl);
        a[0] = i32v(6);
        sliced(inst, "tgrow", a, 1, 1, sl);
        a[0] = i32v(250);
        a[1] = i32v(9);
        sliced(inst, "work", a, 2, 0, sl);
    }
    /* out of bounds: trapped before any charge or write, in both engines */
    wm_val a[3] = {i32v(64u << 16), i32v(1), i32v(2)};
    wm_error e;
    CHECK(wm_call_export(inst, "fill", a, 3, NULL, 0, 1000, &e) == WM_ERR_TRAP);
    note(wm_fuel_left(inst));
}

static void expect_trap(wm_instance *inst, const char *f, const wm_val *args, uint32_t n,
                        uint32_t nres, const char *msg)
{
    wm_val res[1];
    wm_error e;
    CHECK(wm_call_export(inst, f, args, n, res, nres, WM_FUEL_UNLIMITED, &e) == WM_ERR_TRAP);
    if (strcmp(e.msg, msg) != 0) printf("%s: got '%s', want '%s'\n", f, e.msg, msg);
    CHECK(strcmp(e.msg, msg) == 0);
    CHECK(!wm_suspended(inst));
    CHECK(wm_call_export(inst, "ok", NULL, 0, res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res[0].of.i32 == 42);
}

static void case_traps(void)
{
    wm_instance *inst = instantiate("traps", NULL, NULL);
    wm_val a[2];
    expect_trap(inst, "unreachable", a, 0, 0, "unreachable");
    a[0] = i32v(1);
    a[1] = i32v(0);
    expect_trap(inst, "div", a, 2, 1, "integer divide by zero");
    a[0] = i32v(0x80000000u);
    a[1] = i32v(0xffffffffu);
    expect_trap(inst, "div", a, 2, 1, "integer overflow");
    a[0] = i64v(5);
    a[1] = i64v(0);
    expect_trap(inst, "rem", a, 2, 1, "integer divide by zero");
    a[0] = i32v(65528);
    expect_trap(inst, "load", a, 1, 1, "out of bounds memory access");
    a[0] = i32v(0xffffffffu);
    expect_trap(inst, "load", a, 1, 1, "out of bounds memory access");
    a[0] = i32v(65535);
    expect_trap(inst, "store", a, 1, 0, "out of bounds memory access");
    a[0].type = WM_F64;
    a[0].of.f64 = 0x7ff8000000000000ull;
    expect_trap(inst, "trunc", a, 1, 1, "invalid conversion to integer");
    a[0].of.f64 = 0x41e0000000000000ull; /* 2^31 */
    expect_trap(inst, "trunc", a, 1, 1, "integer overflow");
    a[0].type = WM_F32;
    a[0].of.i64 = 0;
    a[0].of.f32 = 0xbf800000u; /* -1.0 */
    expect_trap(inst, "truncu", a, 1, 1, "integer overflow");
    a[0] = i32v(2);
    a[1] = i32v(1);
    expect_trap(inst, "call", a, 2, 1, "uninitialized element");
    a[0] = i32v(4);
    expect_trap(inst, "call", a, 2, 1, "undefined element");
    a[0] = i32v(1);
    expect_trap(inst, "call", a, 2, 1, "indirect call type mismatch");
    a[0] = i32v(9);
    expect_trap(inst, "tget", a, 1, 1, "out of bounds table access");
    a[0] = i32v(65000);
    a[1] = i32v(1000);
    expect_trap(inst, "fill", a, 2, 0, "out of bounds memory access");
    wm_val res;
    wm_error e;
    a[0] = i32v(0);
    a[1] = i32v(41);
    CHECK(wm_call_export(inst, "call", a, 2, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 42);
    note(res.of.i32);
}

/* A loop that leaves in the middle while its bases move (exits.wat; loops.py checks the
 * range every iteration the counter allows can reach before the loop and runs a copy without
 * checks). Each call: fuel left, trap message, result, the memory after; in slices too. */
static void case_exits(void)
{
    static const struct {
        uint32_t w, b, i, key, zero_at; /* zero_at: where the loop finds its key */
        int trap;
    } calls[] = {
        {1000, 5000, 50, 5, 60000, 0},         /* every iteration, in bounds */
        {1000, 5000, 50, 5, 1080, 0},          /* leaves at i = 20 */
        {65532 - 4 * 9, 5000, 9, 5, 0, 1},     /* word store past the end: first iteration */
        {1000, 0xFFFFFFFFu, 10, 5, 60000, 1},  /* byte load at -1: last iteration (i = 0) */
        {0xFFFFFFF0u, 5000, 10, 5, 60000, 1},  /* word load at -4: mid-way (i = 3) */
        {0xFFFFFFF0u, 5000, 10, 5, 8, 0},      /* would trap at i = 3, leaves at i = 6 */
        {100, 5000, 0xFFFFFFFBu, 5, 60000, 1}, /* i < 0: not counted, traps at p = -4 */
        {65536 - 8 - 4 * 30, 65535 - 31, 30, 5, 60000, 0}, /* both ends of the memory */
        {65536 - 8 - 4 * 30, 65535 - 30, 30, 5, 60000, 1}, /* one byte past: first */
    };
    wm_instance *inst = instantiate("exits", NULL, NULL);
    uint8_t *mem = wm_memory_data(wm_instance_memory(inst));
    for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++) {
        wm_val a[4] = {i32v(calls[k].w), i32v(calls[k].b), i32v(calls[k].i), i32v(calls[k].key)};
        wm_val z = i32v(calls[k].zero_at), res;
        wm_error e;
        CHECK(wm_call_export(inst, "prep", &z, 1, NULL, 0, WM_FUEL_UNLIMITED, &e) == WM_OK);
        wm_err rc = wm_call_export(inst, "shift", a, 4, &res, 1, 100000, &e);
        if (calls[k].trap) {
            CHECK(rc == WM_ERR_TRAP && strcmp(e.msg, "out of bounds memory access") == 0);
        } else {
            CHECK(rc == WM_OK);
            note(res.of.i32);
        }
        note(wm_fuel_left(inst));
        note(checksum(mem, 1u << 16));
        if (!calls[k].trap) { /* suspended inside the loop and resumed: the same */
            CHECK(wm_call_export(inst, "prep", &z, 1, NULL, 0, WM_FUEL_UNLIMITED, &e) == WM_OK);
            sliced(inst, "shift", a, 4, 1, 7);
            note(checksum(mem, 1u << 16));
        }
    }
}

/* Counted loops whose fuel is paid once (loopfuel.wat, host_tools/wasmote/aot/loopfuel.py):
 * in every slice from 1 to past the call's whole fuel, the suspensions (and where they
 * happened: the memory word the loops store their counter in), the fuel left and the
 * result (or the trap) are the interpreter's. */
static void every_slice(wm_instance *inst, const char *f, const wm_val *args, uint32_t nargs)
{
    wm_val res;
    wm_error e;
    wm_err rc = wm_call_export(inst, f, args, nargs, &res, 1, WM_FUEL_UNLIMITED, &e);
    uint64_t total = WM_FUEL_UNLIMITED - wm_fuel_left(inst);
    note((uint64_t)rc);
    note(total);
    for (uint64_t sl = 1; sl <= total + 2; sl++) {
        uint64_t n = 0;
        rc = wm_call_export(inst, f, args, nargs, &res, 1, sl, &e);
        while (rc == WM_ERR_OUT_OF_FUEL) {
            CHECK(wm_fuel_left(inst) == 0);
            n++;
            uint32_t w; /* where it suspended: the loops store their counter at 0 */
            memcpy(&w, wm_memory_data(wm_instance_memory(inst)), 4);
            note(w);
            rc = wm_resume(inst, sl, &res, 1, &e);
        }
        CHECK(rc == WM_OK || rc == WM_ERR_TRAP);
        note((uint64_t)rc);
        note(n);
        note(wm_fuel_left(inst));
        note(rc == WM_OK ? res.of.i32 : 0);
    }
}

/* A loop of 2^28 to 2^32 iterations against small slices: it must suspend in the first
 * slice (a test that wrapped, or missed a counter stepping over its range, would run it
 * through). */
static void suspends(wm_instance *inst, const char *f, const wm_val *a, uint32_t nargs)
{
    wm_val res;
    wm_error e;
    for (uint64_t sl = 1; sl < 200; sl += 7) {
        wm_err rc = wm_call_export(inst, f, a, nargs, &res, 1, sl, &e);
        for (int k = 0; k < 3 && rc == WM_ERR_OUT_OF_FUEL; k++)
            rc = wm_resume(inst, sl, &res, 1, &e);
        CHECK(rc == WM_ERR_OUT_OF_FUEL);
        note(wm_fuel_left(inst));
        wm_abort(inst);
    }
}

/* Loops whose trip count is bounded at their entry (loopcost.wat, host_tools/wasmote/aot/
 * loopcost.py): the short ones run without a second copy, the long ones with both; in every
 * slice they suspend, trap and leave the fuel and the memory as the interpreter does. */
static void case_loopcost(void)
{
    wm_instance *inst = instantiate("loopcost", NULL, NULL);
    /* (p, q, n): in bounds; q leaving the memory in the last iteration, the first; p
     * leaving it in the third; no iterations; 63 iterations, in bounds and trapping in 45 */
    uint32_t rem[][3] = {{16, 4, 3},      {16, 4, 7},      {100, 65372, 3},
                         {100, 65373, 3}, {100, 65453, 2}, {65520, 0, 3},
                         {0, 0, 0},       {8, 8, 63},      {8, 62000, 63}};
    const char *names[] = {"short", "long", "short_up"};
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++)
        for (size_t k = 0; k < sizeof rem / sizeof rem[0]; k++) {
            wm_val a[3] = {i32v(rem[k][0]), i32v(rem[k][1]), i32v(rem[k][2])};
            every_slice(inst, names[f], a, 3);
        }
    /* (q, n): 3, 2, 1 iterations; the load leaving the memory in the second, the 70th */
    uint32_t lt[][2] = {{4, 3}, {4, 2}, {4, 0}, {65500, 3}, {4, 255}, {4, 200}, {60000, 255}};
    for (size_t k = 0; k < sizeof lt / sizeof lt[0]; k++) {
        wm_val a[2] = {i32v(lt[k][0]), i32v(lt[k][1])};
        every_slice(inst, "short_lt", a, 2);
        every_slice(inst, "long_lt", a, 2);
    }
}

static void case_loopfuel(void)
{
    wm_instance *inst = instantiate("loopfuel", NULL, NULL);
    wm_val a[2] = {i32v(0), i32v(400)};
    every_slice(inst, "fill4", a, 2); /* mem[4i] = 4i below 400 */
    a[0] = i32v(65536 - 40), a[1] = i32v(65536 + 40);
    every_slice(inst, "fill4", a, 2); /* traps in iteration 10 */
    uint32_t ns[] = {1, 2, 13, 100};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        a[0] = i32v(ns[k]);
        every_slice(inst, "up", a, 1);
        every_slice(inst, "guarded", a, 1);
        a[0] = i32v(3 * ns[k]);
        every_slice(inst, "down3", a, 1);
    }
    a[0] = i32v(0);
    every_slice(inst, "guarded", a, 1);    /* no iterations */
    for (uint32_t d = 0; d < 13; d += 3) { /* divides by zero in iteration d (none at 12) */
        a[0] = i32v(12), a[1] = i32v(d);
        every_slice(inst, "div", a, 2);
    }
    a[0] = i32v(50), a[1] = i32v(80);
    every_slice(inst, "early", a, 2); /* leaves in iteration 20 */
    a[0] = i32v(7), a[1] = i32v(9);
    every_slice(inst, "nested", a, 2);
    wm_val b[3] = {i32v(30), i32v(1000), i32v(99)};
    every_slice(inst, "branchy", b, 3); /* all 30 iterations */
    b[1] = i32v(100);
    every_slice(inst, "branchy", b, 3); /* returns in iteration 9 */
    b[1] = i32v(1000), b[2] = i32v(17);
    every_slice(inst, "branchy", b, 3); /* traps in iteration 17 */
    a[0] = i32v((1u << 28) + 1u);
    suspends(inst, "wrap16", a, 1);
    a[0] = i32v(0);
    suspends(inst, "wrap16", a, 1); /* 2^32 iterations */
    int32_t lt[][2] = {{0, 40}, {0, 41}, {100, 40}, {-8, 4}, {0, 0}};
    for (size_t k = 0; k < sizeof lt / sizeof lt[0]; k++) {
        wm_val c[3] = {i32v((uint32_t)lt[k][0]), i32v((uint32_t)lt[k][1]), i32v(0)};
        every_slice(inst, "ltu", c, 3);
        c[2] = i32v(0x80000000u);
        every_slice(inst, "gts", c, 3);
    }
    /* stepping over 2^32 (and 2^31 - 1): five branches back, where the first test's
     * distance to the end would make four */
    wm_val c[3] = {i32v(0xFFFFFFF1u), i32v(0xFFFFFFFEu), i32v(100)};
    every_slice(inst, "ltu", c, 3);
    c[0] = i32v(0x7FFFFFF1u), c[1] = i32v(0x7FFFFFFEu), c[2] = i32v(0);
    every_slice(inst, "gts", c, 3);
}

/* Attacks on the translator's check elimination (redteam.wat; the calls: redteam.calls;
 * tests/aot/test_aot_redteam.py). Each call once with a large budget (a loop that never
 * ends runs out of it in both engines), then in slices of 1 to 150 units and ones growing
 * by an eighth up to its whole fuel (with doubling ones, r_dot 0 8 3 let a test before its
 * loop one outer run too generous pass), each resumed until done (or given up on: 40 times
 * or the budget): results, traps and their messages, suspensions, fuel left and a hash of
 * the whole memory must be the interpreter's, and so must where each suspension happened
 * (where()). */
static uint64_t fnv(uint64_t h, const uint8_t *d, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) h = (h ^ d[i]) * 1099511628211ull;
    return h;
}

static uint64_t memory_hash(wm_instance *inst)
{
    wm_memory *m = wm_instance_memory(inst);
    return fnv(1469598103934665603ull, wm_memory_data(m), 0, wm_memory_bytes(m)) ^
           wm_memory_bytes(m);
}

/* Where a suspension happened. The fuel left is 0 at every one, so this is what the program
 * has made visible there: the words the attacks store their progress to each iteration
 * (redteam.wat: 16 bytes at WHERE_AT), the first and the last 256 bytes of the first page
 * (where most attacks write), the memory's size and every exported global. Not the whole
 * memory: a call suspends up to 40 times in each of about 200 slicings (the whole 64 KiB
 * at every suspension: 93 s instead of 5 s for the case, without the sanitizers). */
#define WHERE_AT 0x8000u
static uint64_t where(wm_instance *inst)
{
    wm_memory *m = wm_instance_memory(inst);
    const uint8_t *d = wm_memory_data(m);
    uint64_t h = fnv(1469598103934665603ull, d, 0, 256);
    h = fnv(h, d, WHERE_AT, WHERE_AT + 16);
    h = fnv(h, d, 65536 - 256, 65536) ^ wm_memory_bytes(m);
    for (uint32_t i = 0; i < wm_export_count(inst); i++) {
        const char *name;
        uint32_t len;
        wm_extern ext;
        CHECK(wm_export_at(inst, i, &name, &len, &ext) == WM_OK);
        if (ext.kind != WM_EXTERN_GLOBAL) continue;
        wm_val v = wm_global_value(ext.of.global);
        h = (h ^ (v.type == WM_I64 || v.type == WM_F64 ? v.of.i64 : v.of.i32)) * 31u;
    }
    return h;
}

static void note_outcome(wm_instance *inst, wm_err rc, const wm_error *e, const wm_val *res)
{
    uint64_t h = 0;
    if (rc == WM_ERR_TRAP)
        for (const char *m = e->msg; *m; m++) h = h * 31u + (unsigned char)*m;
    note((uint64_t)rc);
    note(h);
    note(wm_fuel_left(inst));
    note(rc == WM_OK ? res->of.i32 : 0);
    note(memory_hash(inst));
}

static void probe(wm_instance *inst, const char *f, const uint32_t a[3])
{
    wm_val args[3] = {i32v(a[0]), i32v(a[1]), i32v(a[2])}, res;
    wm_error e;
    const uint64_t budget = 1u << 16;
    wm_err rc = wm_call_export(inst, f, args, 3, &res, 1, budget, &e);
    uint64_t total = budget - wm_fuel_left(inst);
    note_outcome(inst, rc, &e, &res);
    if (rc == WM_ERR_OUT_OF_FUEL) wm_abort(inst);
    for (uint64_t sl = 1; sl <= total + 2; sl = sl < 150 ? sl + 1 : sl + sl / 8) {
        uint64_t n = 0;
        rc = wm_call_export(inst, f, args, 3, &res, 1, sl, &e);
        while (rc == WM_ERR_OUT_OF_FUEL && n < 40 && (n + 1) * sl <= budget) {
            CHECK(wm_fuel_left(inst) == 0);
            note(where(inst));
            n++;
            rc = wm_resume(inst, sl, &res, 1, &e);
        }
        note(n);
        note_outcome(inst, rc, &e, &res);
        if (rc == WM_ERR_OUT_OF_FUEL) wm_abort(inst);
    }
}

static void case_redteam(void)
{
    char path[512], line[256], name[64], prev[64] = "", tag[16];
    snprintf(path, sizeof path, "%s/redteam.calls", dir);
    FILE *calls = fopen(path, "r");
    CHECK(calls != NULL);
    wm_instance *inst = NULL;
    int n = 0;
    context = 0;
    while (fgets(line, sizeof line, calls)) {
        long long a[3];
        context++; /* the line of redteam.calls */
        if (line[0] == '#' ||
            sscanf(line, "%63s %lli %lli %lli %15s", name, &a[0], &a[1], &a[2], tag) < 4)
            continue;
        if (strcmp(name, prev) != 0) /* each function on a fresh instance */
            inst = instantiate("redteam", NULL, NULL);
        snprintf(prev, sizeof prev, "%s", name);
        uint32_t args[3] = {(uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]};
        probe(inst, name, args);
        n++;
    }
    fclose(calls);
    CHECK(n > 80);
}

/* A memory capped below its declared minimum (docs/memory-model.md): the interpreter runs
 * what stays within the cap; AOT code that relies on the declared minimum (accesses it
 * compiled without a check) refuses every call with its own message. Uncapped, both run. */
static void case_capped(void)
{
    wm_limits lim;
    wm_limits_default(&lim);
    wm_instance *full = instantiate("capped", NULL, &lim);
    wm_val res;
    wm_error e;
    CHECK(wm_call_export(full, "low", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    note(res.of.i32);
    CHECK(wm_call_export(full, "high", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    note(res.of.i32);
    lim.mem_cap_bytes = 4096;
    wm_instance *small = instantiate("capped", NULL, &lim);
    wm_err rc = wm_call_export(small, "low", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e);
    if (use_aot) {
        CHECK(rc == WM_ERR_TRAP && strcmp(e.msg, "memory smaller than the AOT code requires") == 0);
    } else {
        CHECK(rc == WM_OK && res.of.i32 == 42);
    }
    /* "high" reads past the cap; "scan" too, in a loop whose checks GCC dropped on the
     * entries' guarantee (WM_MEM_NEED): the entry refuses it before any access */
    const char *past[] = {"high", "scan"};
    for (int i = 0; i < 2; i++) {
        rc = wm_call_export(small, past[i], NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e);
        CHECK(rc == WM_ERR_TRAP);
        CHECK(strcmp(e.msg, use_aot ? "memory smaller than the AOT code requires"
                                    : "out of bounds memory access") == 0);
    }
    CHECK(wm_call_export(full, "scan", NULL, 0, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    note(res.of.i32);
}

/* AOT and interpreted instances linked to each other, in every combination. */
static void case_mixed(void)
{
    for (int mode = 0; mode < 4; mode++) {
        int peer_aot = use_aot && (mode & 1), mixed_aot = use_aot && (mode & 2);
        wm_instance *peer = instantiate_as("peer", NULL, NULL, peer_aot);
        wm_linker l;
        wm_linker_init(&l, &arena);
        CHECK(wm_linker_add_instance(&l, "peer", peer) == WM_OK);
        wm_instance *mixed = instantiate_as("mixed", &l, NULL, mixed_aot);
        wm_val a[2], res;
        wm_error e;
        a[0] = i32v(7);
        CHECK(wm_call_export(mixed, "via_import", a, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
        CHECK(res.of.i32 == 121);
        a[0] = i32v(0);
        a[1] = i32v(5);
        CHECK(wm_call_export(mixed, "via_table", a, 2, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
        CHECK(res.of.i32 == 15);
        a[0] = i32v(1);
        CHECK(wm_call_export(mixed, "via_table", a, 2, &res, 1, 1000, &e) == WM_OK);
        CHECK(res.of.i32 == 25);
        note(wm_fuel_left(mixed));
        a[0] = i32v(2);
        CHECK(wm_call_export(mixed, "via_table", a, 2, &res, 1, WM_FUEL_UNLIMITED, &e) ==
              WM_ERR_TRAP);
        CHECK(strcmp(e.msg, "undefined element") == 0);
        /* the peer stays usable on its own, with fuel */
        a[0] = i32v(300);
        CHECK(call_sliced(peer, "loop", a[0], 50, &res) > 0 && res.of.i32 == 300);
    }
}

/* What wm_aot_attach refuses (AOT pass only; the interpreter pass has nothing to attach). */
static void case_attach(void)
{
    if (!use_aot) return;
    size_t len, alen, tlen;
    unsigned char *w = read_module("loop", "wasm", &len);
    unsigned char *a = read_module("loop", "aot", &alen);
    unsigned char *tw = read_module("traps", "wasm", &tlen);
    const uint8_t *code = exec_copy(a, alen);
    wm_module *m, *t;
    wm_error e;
    CHECK(wm_load(&arena, w, len, &m, &e) == WM_OK);
    CHECK(wm_load(&arena, tw, tlen, &t, &e) == WM_OK);
    /* another architecture or ABI version */
    CHECK(wm_aot_attach(m, code, alen, WM_AOT_ARCH_SELF == 1 ? 2 : 1, WM_AOT_ABI_VERSION, &e) ==
          WM_ERR_INVALID);
    CHECK(strstr(e.msg, "architecture") != NULL);
    CHECK(wm_aot_attach(m, code, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION + 1, &e) ==
          WM_ERR_INVALID);
    CHECK(strstr(e.msg, "ABI") != NULL);
    /* compiled from another module */
    CHECK(wm_aot_attach(t, code, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e) != WM_OK);
    CHECK(!wm_aot_attached(t));
    /* misaligned */
    uint8_t *shifted = malloc(alen + 8);
    memcpy(shifted + 4, a, alen);
    CHECK(wm_aot_attach(m, shifted + 4, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e) != WM_OK);
    free(shifted);
    /* truncated anywhere: refused (code never runs) */
    for (size_t cut = 0; cut < alen; cut += (cut < 256 ? 1 : 61)) {
        uint8_t *c = malloc(cut ? cut : 1); /* exact size: ASan sees over-reads */
        memcpy(c, a, cut);
        wm_err rc = wm_aot_attach(m, c, cut, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e);
        free(c);
        if (rc == WM_OK) printf("truncated to %zu accepted\n", cut);
        CHECK(rc != WM_OK && !wm_aot_attached(m));
    }
    /* every header byte flipped: refused, except the fuel flag (nothing in the runtime
     * depends on it) and the low bytes of the frame size (any plausible value is accepted:
     * like the code itself it can only be trusted because the package is authentic) */
    uint8_t *c = malloc(alen);
    int accepted = 0;
    for (size_t i = 0; i < 80; i++) {
        memcpy(c, a, alen);
        c[i] ^= 0xff;
        wm_err rc = wm_aot_attach(m, c, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e);
        if (rc == WM_OK) {
            accepted++;
            CHECK(i == 8 || i == 24 || i == 25);
            CHECK(wm_load(&arena, w, len, &m, &e) == WM_OK); /* a fresh, unattached one */
        }
        CHECK(e.msg != NULL);
    }
    /* the type table */
    memcpy(c, a, alen);
    uint32_t types = (uint32_t)c[40] | (uint32_t)c[41] << 8;
    c[types] ^= 1;
    CHECK(wm_aot_attach(m, c, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e) == WM_ERR_INVALID);
    CHECK(strstr(e.msg, "type") != NULL);
    free(c);
    CHECK(accepted <= 3 && !wm_aot_attached(m));
    /* a refused module stays interpreted and runs */
    wm_instance *inst;
    wm_val arg = i32v(10), res;
    CHECK(wm_instantiate(&arena, m, NULL, NULL, &inst, &e) == WM_OK);
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 55);
    /* and the genuine section attaches */
    CHECK(wm_aot_attach(m, code, alen, WM_AOT_ARCH_SELF, WM_AOT_ABI_VERSION, &e) == WM_OK);
}

/* A case's two passes: the interpreter's, then the AOT code's, each on a fresh arena. */
static void run_both(void (*fn)(void))
{
    for (use_aot = 0; use_aot < 2; use_aot++) {
        for (int k = 0; k < nkeep; k++) free(keep[k]); /* the last pass's modules are dead */
        nkeep = 0;
        context = 0;
        wm_arena_init(&arena, arena_mem, size_of_arena);
        fn();
    }
    use_aot = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DIR CASE\n", argv[0]);
        return 2;
    }
    dir = argv[1];
#if defined(WM_AOT_ISO_SIM)
    CHECK(wm_aot_isolation_init() != 0);
#endif
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"fuel", case_fuel},         {"exhaustion", case_exhaustion}, {"host", case_host},
        {"traps", case_traps},       {"mixed", case_mixed},           {"attach", case_attach},
        {"bulk", case_bulk},         {"capped", case_capped},         {"exits", case_exits},
        {"loopfuel", case_loopfuel}, {"loopcost", case_loopcost},     {"redteam", case_redteam},
    };
    arena_mem = malloc(size_of_arena);
    CHECK(arena_mem != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(cases[i].name, argv[2]) != 0) continue;
        run_both(cases[i].fn);
        int total = 0, differs = -1;
        for (int c = 0; c < CONTEXTS_MAX; c++) {
            total += ctx_count[0][c];
            if (differs < 0 &&
                (ctx_count[0][c] != ctx_count[1][c] || ctx_hash[0][c] != ctx_hash[1][c]))
                differs = c;
        }
        if (differs < 0) {
            printf("%d observations identical\nok\n", total);
            return 0;
        }
        /* again, keeping the first context that differs in full: its first difference is the
         * telling one (a suspension more or less shifts the rest) */
        printf("context %d differs (interpreter %d observations, aot %d)\n", differs,
               ctx_count[0][differs], ctx_count[1][differs]);
        record = differs;
        run_both(cases[i].fn);
        for (int k = 0; k < ntrace[0] && k < ntrace[1]; k++) {
            if (trace[0][k] != trace[1][k])
                printf("observation %d of context %d: interpreter %llu, aot %llu\n", k, differs,
                       (unsigned long long)trace[0][k], (unsigned long long)trace[1][k]);
            CHECK(trace[0][k] == trace[1][k]);
        }
        CHECK(ntrace[0] == ntrace[1]);
        printf("context %d: the same observations on the second run\n", differs);
        CHECK(0);
    }
    fprintf(stderr, "unknown case %s\n", argv[2]);
    return 2;
}
