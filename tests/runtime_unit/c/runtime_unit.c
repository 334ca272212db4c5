/* Unit checks of the runtime core through its public API (posix, hosted).
 * Usage: runtime_unit WASM_DIR CASE ; prints "ok" and exits 0, or prints why and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "wasmote.h"
#include "wm_internal.h" /* float helpers, checked against the host's libm */

#include "harness.h" /* after wasmote.h: its value builders */

static const char *dir;
static unsigned char *arena_mem;
static wm_arena arena;

static void *keep[64]; /* module bytes stay alive while executed in place; freed at exit */
static int nkeep;

static unsigned char *read_wasm(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", dir, name);
    return read_file(path, len);
}

static wm_instance *instantiate(const char *name, const wm_linker *l, const wm_limits *lim)
{
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

/* Runs export `name` in slices of `slice` fuel until it ends; returns the fuel it used (all
 * the fuel given minus what was left) and counts the suspensions. */
static uint64_t run_sliced(wm_instance *inst, const char *name, const wm_val *args, uint32_t nargs,
                           wm_val *res, uint32_t nres, uint64_t slice, int *suspensions)
{
    wm_error e;
    uint64_t given = slice;
    int n = 0;
    wm_err rc = wm_call_export(inst, name, args, nargs, res, nres, slice, &e);
    while (rc == WM_ERR_OUT_OF_FUEL) {
        CHECK(wm_suspended(inst));
        CHECK(wm_fuel_left(inst) == 0);
        n++;
        given += slice;
        rc = wm_resume(inst, slice, res, nres, &e);
    }
    CHECK(rc == WM_OK && !wm_suspended(inst));
    if (suspensions) *suspensions = n;
    return given - wm_fuel_left(inst);
}

static void case_fuel(void)
{
    wm_instance *inst = instantiate("loop", NULL, NULL);
    wm_val arg = i32v(1000), res;
    wm_error e;
    /* sum(n): entry 2, the loop entered 2, each of n turns 12 (charged at the branch
     * back), the return 6 (the last test, the result, the end; +1 for returning) */
    CHECK(run_sliced(inst, "sum", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, NULL) == 12010);
    CHECK(res.of.i32 == 500500);
    /* any slicing charges the same: a stopped check point owes or keeps, never forgets */
    static const uint64_t slices[] = {1, 7, 12, 13, 100, 12009, 12010};
    for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++) {
        int n;
        CHECK(run_sliced(inst, "sum", &arg, 1, &res, 1, slices[i], &n) == 12010);
        CHECK(res.of.i32 == 500500);
        CHECK((uint64_t)n == (12010 + slices[i] - 1) / slices[i] - 1);
    }
    /* a suspended instance refuses a new call */
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 7, &e) == WM_ERR_OUT_OF_FUEL);
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 7, &e) == WM_ERR_STATE);
    wm_abort(inst);
    /* recursion: every call and return is a check point */
    arg = i32v(15);
    uint64_t fib = run_sliced(inst, "fib", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, NULL);
    CHECK(res.of.i32 == 610);
    int n;
    CHECK(run_sliced(inst, "fib", &arg, 1, &res, 1, 10, &n) == fib && res.of.i32 == 610);
    CHECK(n > 100);
    /* with no fuel at all nothing runs: the entry charges first */
    CHECK(wm_call_export(inst, "sum", &arg, 1, &res, 1, 0, &e) == WM_ERR_OUT_OF_FUEL);
    /* an aborted suspended call leaves the instance usable */
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

/* ---- what fuel bounds ---- */

/* A module of one function `f` (no params, no results, `nlocals` i64 locals) whose body
 * is `body` (without its final end). */
static unsigned char *module_of(const unsigned char *body, size_t blen, uint32_t nlocals,
                                size_t *len)
{
    static const unsigned char head[] = {0, 'a', 's', 'm', 1,    0, 0,
                                         0, 1,   4,   1,   0x60, 0, 0,  /* type () -> () */
                                         3, 2,   1,   0,                /* one function */
                                         7, 5,   1,   1,   'f',  0, 0}; /* export "f" */
    unsigned char locals[16], size[8], secsize[8];
    size_t nl = 0, ns = 0, nss = 0;
    locals[nl++] = 0;
    if (nlocals) {
        locals[0] = 1;
        for (uint32_t v = nlocals;; v >>= 7) {
            locals[nl++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
            if (v < 0x80) break;
        }
        locals[nl++] = 0x7E;
    }
    size_t fsize = nl + blen + 1;
    for (size_t v = fsize;; v >>= 7) {
        size[ns++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) break;
    }
    size_t csize = 1 + ns + fsize;
    for (size_t v = csize;; v >>= 7) {
        secsize[nss++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        if (v < 0x80) break;
    }
    *len = sizeof head + 1 + nss + csize;
    unsigned char *b = malloc(*len), *p = b;
    CHECK(b != NULL);
    memcpy(p, head, sizeof head);
    p += sizeof head;
    *p++ = 10;
    memcpy(p, secsize, nss);
    p += nss;
    *p++ = 1;
    memcpy(p, size, ns);
    p += ns;
    memcpy(p, locals, nl);
    p += nl;
    memcpy(p, body, blen);
    p += blen;
    *p++ = 0x0B;
    CHECK((size_t)(p - b) == *len);
    return b;
}

static wm_err load_body(const unsigned char *body, size_t blen, uint32_t nlocals,
                        wm_instance **inst, wm_error *e)
{
    size_t len;
    unsigned char *b = module_of(body, blen, nlocals, &len);
    wm_module *m;
    wm_err rc = wm_load(&arena, b, len, &m, e);
    if (rc != WM_OK) {
        free(b);
        return rc;
    }
    CHECK(nkeep < 64);
    keep[nkeep++] = b;
    return wm_instantiate(&arena, m, NULL, NULL, inst, e);
}

/* `pairs` times (i32.const 0, drop): 2 units each, no check point in between */
static unsigned char *straight(size_t pairs, size_t *blen)
{
    unsigned char *body = malloc(pairs * 3);
    CHECK(body != NULL);
    for (size_t i = 0; i < pairs; i++) {
        body[3 * i] = 0x41;
        body[3 * i + 1] = 0;
        body[3 * i + 2] = 0x1A;
    }
    *blen = pairs * 3;
    return body;
}

static void case_straight(void)
{
    wm_instance *inst;
    wm_error e;
    size_t blen;
    /* 140 KB of straight-line code (~93000 units) between two check points: refused, it
     * would run that long past any fuel */
    unsigned char *body = straight(140 * 1024 / 3, &blen);
    CHECK(load_body(body, blen, 0, &inst, &e) == WM_ERR_LIMIT);
    CHECK(strstr(e.msg, "too much code between fuel check points") != NULL);
    free(body);
    /* the most there may be: WM_FUEL_REGION_MAX units up to the return (its end included) */
    body = straight((WM_FUEL_REGION_MAX - 1) / 2, &blen);
    CHECK(load_body(body, blen, 0, &inst, &e) == WM_OK);
    free(body);
    body = straight((WM_FUEL_REGION_MAX - 1) / 2 + 1, &blen);
    CHECK(load_body(body, blen, 0, &inst, &e) == WM_ERR_LIMIT);
    free(body);
    /* it is charged, whatever the slices: entry 2, return 1 + 2 per pair + 1 */
    body = straight(1000, &blen);
    CHECK(load_body(body, blen, 0, &inst, &e) == WM_OK);
    free(body);
    for (uint64_t slice = 1; slice <= 4096; slice *= 4)
        CHECK(run_sliced(inst, "f", NULL, 0, NULL, 0, slice, NULL) == 2 + 1 + 2000 + 1);
    /* many locals: their zeroing is charged at entry, before it is done */
    static const unsigned char nop = 0x01;
    uint32_t most = (WM_FUEL_REGION_MAX - WM_FUEL_ENTRY) * WM_FUEL_LOCALS;
    CHECK(load_body(&nop, 1, most + WM_FUEL_LOCALS, &inst, &e) == WM_ERR_LIMIT);
    CHECK(strstr(e.msg, "too many locals") != NULL);
    wm_limits lim;
    wm_limits_default(&lim);
    lim.stack_slots = most + 64;
    size_t len;
    unsigned char *b = module_of(&nop, 1, most, &len);
    wm_module *m;
    CHECK(wm_load(&arena, b, len, &m, &e) == WM_OK);
    CHECK(wm_instantiate(&arena, m, NULL, &lim, &inst, &e) == WM_OK);
    keep[nkeep++] = b;
    CHECK(wm_call_export(inst, "f", NULL, 0, NULL, 0, WM_FUEL_REGION_MAX - 1, &e) ==
          WM_ERR_OUT_OF_FUEL);
    CHECK(wm_fuel_left(inst) == 0);
    wm_abort(inst);
    CHECK(run_sliced(inst, "f", NULL, 0, NULL, 0, 100, NULL) == WM_FUEL_REGION_MAX + 1 + 2);
}

static wm_err host_work(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    (void)results;
    wm_charge(inst, args[0].of.i32);
    return WM_OK;
}

static void call3(wm_instance *inst, const char *f, uint32_t a, uint32_t b, uint32_t c,
                  uint64_t slice, uint64_t expect)
{
    wm_val args[3] = {i32v(a), i32v(b), i32v(c)};
    CHECK(run_sliced(inst, f, args, 3, NULL, 0, slice, NULL) == expect);
}

static void case_bulk(void)
{
    static const wm_host_func work = {"env", "work", "i:", host_work, NULL};
    wm_linker l;
    wm_linker_init(&l, &arena);
    CHECK(wm_linker_add_host(&l, &work) == WM_OK);
    wm_instance *inst = instantiate("bulk", &l, NULL);
    uint8_t *mem = wm_memory_data(wm_instance_memory(inst));
    wm_val arg, res;
    wm_error e;
    /* memory.fill of 1 MiB on 100 fuel: it fills what the fuel pays for and stops */
    wm_val a3[3] = {i32v(0), i32v(0xAB), i32v(1u << 20)};
    CHECK(wm_call_export(inst, "fill", a3, 3, NULL, 0, 100, &e) == WM_ERR_OUT_OF_FUEL);
    uint32_t done = (100 - 2) * WM_FUEL_BYTES; /* after the entry's 2 */
    CHECK(mem[done - 1] == 0xAB && mem[done] == 0);
    uint64_t given = 100;
    wm_err rc;
    do {
        given += 100;
        rc = wm_resume(inst, 100, NULL, 0, &e);
    } while (rc == WM_ERR_OUT_OF_FUEL);
    CHECK(rc == WM_OK && mem[(1u << 20) - 1] == 0xAB && mem[1u << 20] == 0);
    /* entry 2, its size, return: 1 + 3 gets + the fill (2) + end */
    uint64_t fill_cost = 2 + (1u << 20) / WM_FUEL_BYTES + 7;
    uint32_t slow = wm_fuel_weight(0xFC08); /* memory.init, tables: (a gate trip in AOT) */
    CHECK(given - wm_fuel_left(inst) == fill_cost);
    call3(inst, "fill", 0, 0, 1u << 20, 1000, fill_cost);
    call3(inst, "fill", 0, 0, 1u << 20, WM_FUEL_UNLIMITED, fill_cost);
    /* out of bounds traps before anything is charged or written */
    a3[0] = i32v(17u << 16);
    a3[2] = i32v(1);
    CHECK(wm_call_export(inst, "fill", a3, 3, NULL, 0, 3, &e) == WM_ERR_TRAP);
    /* memory.copy in pieces, overlapping both ways, equals memmove */
    for (int way = 0; way < 2; way++) {
        static uint8_t want[1 << 17];
        for (uint32_t i = 0; i < sizeof want; i++) mem[i] = (uint8_t)(i * 7 + i / 251);
        uint32_t d = way ? 1000 : 0, s = way ? 0 : 1000, n = (1u << 17) - 1000;
        memcpy(want, mem, sizeof want);
        memmove(want + d, want + s, n);
        call3(inst, "copy", d, s, n, 13, 2 + n / WM_FUEL_BYTES + 7);
        CHECK(memcmp(want, mem, sizeof want) == 0);
    }
    /* memory.init from a passive segment */
    memset(mem, 0, 64);
    call3(inst, "init", 3, 1, 60, 1, 2 + 60 / WM_FUEL_BYTES + 5 + slow);
    CHECK(memcmp(mem + 3, "123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY", 60) == 0);
    /* memory.grow zeroes the new pages in pieces the fuel pays for, then grows */
    memset(mem + (17u << 16), 0x5A, 1u << 16); /* (scribbled past the end: zeroed again) */
    arg = i32v(16);
    CHECK(run_sliced(inst, "grow", &arg, 1, &res, 1, 500, NULL) ==
          2 + (16u << 16) / WM_FUEL_BYTES + 3 + wm_fuel_weight(0x40)); /* + get, end, 1 */
    CHECK(res.of.i32 == 17 && wm_memory_pages(wm_instance_memory(inst)) == 33);
    for (uint32_t i = 17u << 16; i < 33u << 16; i++) CHECK(mem[i] == 0);
    arg = i32v(64); /* past the maximum: no work, no charge for it */
    CHECK(run_sliced(inst, "grow", &arg, 1, &res, 1, 1, NULL) == 2 + 3 + wm_fuel_weight(0x40));
    CHECK(res.of.i32 == 0xFFFFFFFFu);
    /* tables: fill and copy in pieces; init walks its segment, grow fills: paid in full */
    wm_val a2[2] = {i32v(0), i32v(64)};
    CHECK(run_sliced(inst, "tfill", a2, 2, NULL, 0, 3, NULL) ==
          2 + 64 / WM_FUEL_ELEMS + (1 + 1 + 1 + slow + 1 + 1));
    call3(inst, "tcopy", 1, 0, 63, 2, 2 + 63 / WM_FUEL_ELEMS + 5 + slow);
    call3(inst, "tinit", 0, 8, 8, 1, 2 + 16 / WM_FUEL_ELEMS + 5 + slow);
    arg = i32v(192);
    CHECK(run_sliced(inst, "tgrow", &arg, 1, &res, 1, 5, NULL) ==
          2 + 1 + 1 + 192 / WM_FUEL_ELEMS + slow + 1 + 1 + 0);
    CHECK(res.of.i32 == 64);
    arg = i32v(255);
    CHECK(run_sliced(inst, "tnull", &arg, 1, &res, 1, 5, NULL) > 0 && res.of.i32 == 1);
    /* a host function's work (wm_charge) beyond the slice is owed and repaid first; each
     * call of it costs WM_FUEL_HOST on top */
    wm_val w[2] = {i32v(1000), i32v(10)};
    uint64_t base =
        run_sliced(inst, "work", (wm_val[]){i32v(0), i32v(0)}, 2, NULL, 0, WM_FUEL_UNLIMITED, NULL);
    uint64_t ten = run_sliced(inst, "work", (wm_val[]){i32v(0), i32v(10)}, 2, NULL, 0,
                              WM_FUEL_UNLIMITED, NULL);
    CHECK(ten > base + 10 * WM_FUEL_HOST);
    int n;
    CHECK(run_sliced(inst, "work", w, 2, NULL, 0, 300, &n) == ten + 10000);
    CHECK(n >= 30);
}

static void case_exhaustion(void)
{
    wm_limits lim;
    wm_limits_default(&lim);
    lim.call_depth = 50;
    lim.stack_slots = 4096;
    wm_instance *inst = instantiate("loop", NULL, &lim);
    wm_val arg = i32v(0), res;
    wm_error e;
    CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
          WM_ERR_EXHAUSTION);
    CHECK(strcmp(e.msg, "call stack exhausted") == 0);
    arg = i32v(10); /* depth 10 fits */
    CHECK(wm_call_export(inst, "fib", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) == WM_OK);
    CHECK(res.of.i32 == 55);
    /* value stack limit: tiny stack, shallow depth limit never reached */
    lim.call_depth = 100000;
    lim.stack_slots = 64;
    inst = instantiate("loop", NULL, &lim);
    arg = i32v(0);
    CHECK(wm_call_export(inst, "deep", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
          WM_ERR_EXHAUSTION);
}

static wm_instance *other;
static int cb_calls;

static wm_err cb(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
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

static wm_err boom(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)user;
    (void)args;
    (void)results;
    return wm_trap(inst, "boom!");
}

static void case_reentry(void)
{
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

static void case_blocking(void)
{
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
    CHECK(wm_call_export(inst, "spin", &arg, 1, &res, 1, WM_FUEL_UNLIMITED, &e) ==
          WM_ERR_OUT_OF_FUEL);
    CHECK(wm_suspended(inst));
    CHECK(wm_resume(inst, WM_FUEL_UNLIMITED, &res, 1, &e) == WM_OK && res.of.i32 == 500);
}

static void case_subpage(void)
{
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
static uint32_t next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Truncated and mutated modules must be rejected or accepted, never crash (run under ASan). */
static void case_hostile(void)
{
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
            for (int f = 0; f < flips; f++)
                copy[8 + next_rand() % (len - 8)] = (unsigned char)next_rand();
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

static void case_arena(void)
{
    size_t len;
    unsigned char *b = read_wasm("loop", &len);
    for (size_t size = 0; size < 4096; size += size < 1024 ? 1 : 7) {
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

static uint64_t rand64(void)
{
    return ((uint64_t)next_rand() << 40) ^ ((uint64_t)next_rand() << 20) ^ next_rand();
}

/* Bit-exact float helpers against the host libm on random and edge bit patterns
 * (NaNs excluded: their payload rules are the spec suite's job). */
static void case_floats(void)
{
    for (int i = 0; i < 400000; i++) {
        uint64_t a = rand64();
        if (i % 4 == 1) a = f64_bits((double)(int64_t)(rand64() % 2000001) / 4.0 - 250000.0);
        if (i % 4 == 2) a &= 0x800fffffffffffffull | ((uint64_t)(1023 + next_rand() % 60) << 52);
        double d = f64_of(a);
        if (isnan(d)) continue;
        CHECK(wm_f64_sqrt(a) == f64_bits(sqrt(d)) || (d < 0 && isnan(f64_of(wm_f64_sqrt(a)))));
        CHECK(wm_f64_round(a, 0) == f64_bits(ceil(d)));
        CHECK(wm_f64_round(a, 1) == f64_bits(floor(d)));
        CHECK(wm_f64_round(a, 2) == f64_bits(trunc(d)));
        CHECK(wm_f64_round(a, 3) == f64_bits(nearbyint(d)));
        uint32_t f = (uint32_t)a;
        if (i % 4 == 3) f = f32_bits((float)((int32_t)(next_rand() % 20001) - 10000) / 8.0f);
        float x = f32_of(f);
        if (isnan(x)) continue;
        CHECK(wm_f32_sqrt(f) == f32_bits(sqrtf(x)) || (x < 0 && isnan(f32_of(wm_f32_sqrt(f)))));
        CHECK(wm_f32_round(f, 0) == f32_bits(ceilf(x)));
        CHECK(wm_f32_round(f, 1) == f32_bits(floorf(x)));
        CHECK(wm_f32_round(f, 2) == f32_bits(truncf(x)));
        CHECK(wm_f32_round(f, 3) == f32_bits(nearbyintf(x)));
    }
    /* subnormals and extremes */
    uint64_t edge[] = {1,
                       2,
                       3,
                       0x000fffffffffffffull,
                       0x0010000000000000ull,
                       0x7fefffffffffffffull,
                       0x7ff0000000000000ull,
                       0x3fe0000000000000ull,
                       0x3ff8000000000000ull};
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++)
        CHECK(wm_f64_sqrt(edge[i]) == f64_bits(sqrt(f64_of(edge[i]))));
}

/* wm_call refuses a funcref argument that is not null or a function of the callee's
 * instance: call_indirect would call through any address (issue 14, item 1). */
static void case_refs(void)
{
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

/* The interpreter's trusted LEB128 decoders (wm_fast_u32/s32/s64, fast paths for the short
 * forms) against the value encoded, in every length from the shortest to the longest
 * valid one (padded forms are what linkers emit), each in a buffer of exactly its
 * length so that ASan catches a read past it. */
static void leb_encode(int64_t v, unsigned len, uint8_t *out)
{ /* len <= 10 */
    for (unsigned i = 0; i < len; i++) {
        uint8_t b = (uint8_t)((uint64_t)(v >> (i * 7)) & 0x7f); /* padding: the sign */
        out[i] = (uint8_t)(b | (i + 1 < len ? 0x80 : 0));
    }
}

static unsigned leb_min_len(int64_t v, int is_signed)
{
    unsigned len = 1;
    if (is_signed) {
        while (len < 10 && !(v >= -(1ll << (7 * len - 1)) && v < (1ll << (7 * len - 1)))) len++;
    } else {
        while (len < 10 && (uint64_t)v >> (7 * len)) len++;
    }
    return len;
}

static void leb_check(int64_t v, int kind)
{ /* kind: 0 u32, 1 s32, 2 s64 */
    unsigned max = kind == 2 ? 10 : 5;
    for (unsigned len = leb_min_len(v, kind != 0); len <= max; len++) {
        uint8_t *buf = malloc(len);
        CHECK(buf != NULL);
        leb_encode(v, len, buf);
        const uint8_t *p = buf;
        if (kind == 0)
            CHECK(wm_fast_u32(&p) == (uint32_t)v);
        else if (kind == 1)
            CHECK(wm_fast_s32(&p) == (int32_t)v);
        else
            CHECK(wm_fast_s64(&p) == v);
        CHECK(p == buf + len);
        free(buf);
    }
}

static void case_leb(void)
{
    static const int64_t edges[] = {0,
                                    1,
                                    -1,
                                    63,
                                    64,
                                    -64,
                                    -65,
                                    127,
                                    128,
                                    8191,
                                    8192,
                                    -8192,
                                    -8193,
                                    16383,
                                    16384,
                                    (1 << 20) - 1,
                                    1 << 20,
                                    -(1 << 20),
                                    -(1 << 20) - 1,
                                    (1 << 27) - 1,
                                    1 << 27,
                                    -(1 << 27),
                                    -(1 << 27) - 1,
                                    INT32_MAX,
                                    INT32_MIN,
                                    34820,
                                    51203};
    uint64_t r = 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0; i < sizeof edges / sizeof edges[0] + 20000; i++) {
        int64_t v;
        if (i < sizeof edges / sizeof edges[0]) {
            v = edges[i];
        } else { /* xorshift, scaled to every magnitude */
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            v = (int64_t)(r >> (r % 64));
            if (r & 1) v = -v;
        }
        leb_check((int64_t)(uint32_t)v, 0);
        leb_check((int64_t)(int32_t)(uint32_t)v, 1);
        leb_check(v, 2);
    }
    leb_check(INT64_MIN, 2);
    leb_check(INT64_MAX, 2);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        printf("usage: runtime_unit WASM_DIR CASE\n");
        return 2;
    }
    dir = argv[1];
    size_t size = 64u << 20;
    arena_mem = malloc(size);
    wm_arena_init(&arena, arena_mem, size);
    const char *c = argv[2];
    if (!strcmp(c, "fuel"))
        case_fuel();
    else if (!strcmp(c, "exhaustion"))
        case_exhaustion();
    else if (!strcmp(c, "reentry"))
        case_reentry();
    else if (!strcmp(c, "subpage"))
        case_subpage();
    else if (!strcmp(c, "blocking"))
        case_blocking();
    else if (!strcmp(c, "hostile"))
        case_hostile();
    else if (!strcmp(c, "arena"))
        case_arena();
    else if (!strcmp(c, "straight"))
        case_straight();
    else if (!strcmp(c, "weights")) { /* for test_fuel_weights_agree: prints, no "ok" */
        printf("REGION_MAX %u ENTRY %u LOCALS %u RETURN %u VALUES %u BYTES %u ELEMS %u "
               "HOST %u\n",
               WM_FUEL_REGION_MAX, WM_FUEL_ENTRY, WM_FUEL_LOCALS, WM_FUEL_RETURN, WM_FUEL_VALUES,
               WM_FUEL_BYTES, WM_FUEL_ELEMS, WM_FUEL_HOST);
        for (uint32_t n = 0; n <= 10; n++) printf("i64 %u %u\n", n, wm_fuel_i64_const(n));
        for (uint32_t op = 0; op < 0x100; op++) printf("%x %u\n", op, wm_fuel_weight(op));
        for (uint32_t op = 0xFC00; op < 0xFC20; op++) printf("%x %u\n", op, wm_fuel_weight(op));
        return 0;
    } else if (!strcmp(c, "bulk"))
        case_bulk();
    else if (!strcmp(c, "floats"))
        case_floats();
    else if (!strcmp(c, "refs"))
        case_refs();
    else if (!strcmp(c, "leb"))
        case_leb();
    else {
        printf("unknown case %s\n", c);
        return 2;
    }
    for (int i = 0; i < nkeep; i++) free(keep[i]);
    free(arena_mem);
    printf("ok\n");
    return 0;
}
