/* AssemblyScript's runtime imports (module "env"), for the stub and incremental runtimes:
 *   abort(message, file, line, column)  -> a trap saying "abort: MESSAGE at FILE:LINE:COL"
 *   trace(message, n, a0..a4)           -> a log line (grant log)
 *   seed()                              -> a random f64 for Math.random (grant random)
 * Strings are AssemblyScript's: UTF-16LE, their byte length in the u32 before them; every
 * one is checked against the module's memory, and only ASCII is kept (others become '?'). */
#include "wasi.h"

#include "../sb_api.h"

/* An AssemblyScript string at ptr (0 = null). False when it is not inside memory. */
static bool put_as_string(wm_msg *t, wm_instance *inst, uint32_t ptr)
{
    bool fault;
    if (ptr == 0) {
        wm_msg_put(t, "null");
        return true;
    }
    const uint8_t *hdr = ptr >= 4u ? wm_sb_range(inst, ptr - 4u, 4, &fault) : NULL;
    if (!hdr) return false;
    uint32_t len = wm_ld32(hdr) & ~1u;
    const uint8_t *s = wm_sb_range(inst, ptr, len, &fault);
    if (fault) return false;
    for (uint32_t i = 0; i < len && t->len + 1u < t->cap; i += 2) {
        uint16_t u = (uint16_t)(s[i] | (s[i + 1] << 8));
        wm_msg_put_c(t, u >= 0x20 && u < 0x7F ? (char)u : '?');
    }
    return true;
}

static wm_err as_abort(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    wm_msg t;
    wm_msg_init(&t, mod->wasi.text, sizeof mod->wasi.text);
    (void)results;
    wm_msg_put(&t, "abort: ");
    bool ok = put_as_string(&t, inst, wm_wasi_arg(args, 0));
    wm_msg_put(&t, " at ");
    ok = put_as_string(&t, inst, wm_wasi_arg(args, 1)) && ok;
    wm_msg_put_c(&t, ':');
    wm_msg_put_u(&t, wm_wasi_arg(args, 2));
    wm_msg_put_c(&t, ':');
    wm_msg_put_u(&t, wm_wasi_arg(args, 3));
    if (!ok) wm_msg_put(&t, " (a string outside memory)");
    return wm_trap(inst, mod->wasi.text);
}

/* A double as a short decimal: integers exactly below 2^53, else 6 significant digits. */
static void put_f64(wm_msg *t, uint64_t bits)
{
    union {
        uint64_t u;
        double d;
    } c;
    c.u = bits;
    double v = c.d;
    if (v != v) {
        wm_msg_put(t, "NaN");
        return;
    }
    if (v < 0) {
        wm_msg_put_c(t, '-');
        v = -v;
    }
    if (v > 1.7976931348623157e308) {
        wm_msg_put(t, "Infinity");
        return;
    }
    if (v < 9007199254740992.0 && v == (double)(uint64_t)v) {
        wm_msg_put_u(t, (uint64_t)v);
        return;
    }
    int exp10 = 0;
    while (v >= 10.0) {
        v /= 10.0;
        exp10++;
    }
    while (v < 1.0) {
        v *= 10.0;
        exp10--;
    }
    uint64_t digits = (uint64_t)(v * 100000.0 + 0.5); /* 6 significant digits */
    if (digits >= 1000000u) {
        digits /= 10u;
        exp10++;
    }
    char d[6];
    for (int i = 5; i >= 0; i--) {
        d[i] = (char)('0' + digits % 10u);
        digits /= 10u;
    }
    int last = 5;
    while (last > 0 && d[last] == '0') last--;
    wm_msg_put_c(t, d[0]);
    if (last > 0) wm_msg_put_c(t, '.');
    for (int i = 1; i <= last; i++) wm_msg_put_c(t, d[i]);
    if (exp10 != 0) {
        wm_msg_put_c(t, 'e');
        wm_msg_put_c(t, exp10 < 0 ? '-' : '+');
        wm_msg_put_u(t, (uint64_t)(exp10 < 0 ? -exp10 : exp10));
    }
}

static wm_err as_trace(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    char line[WM_LOG_MAX + 1];
    wm_msg t;
    wm_msg_init(&t, line, sizeof line);
    (void)results;
    wm_msg_put(&t, "trace: ");
    if (!put_as_string(&t, inst, wm_wasi_arg(args, 0))) wm_msg_put(&t, "(outside memory)");
    uint32_t n = wm_wasi_arg(args, 1);
    for (uint32_t i = 0; i < n && i < 5u; i++) {
        wm_msg_put(&t, i ? ", " : " ");
        put_f64(&t, args[2 + i].of.f64);
    }
    const wm_sb_platform *pl = &mod->host->plat;
    if (pl->log) pl->log(pl->ctx, mod, (const uint8_t *)line, t.len);
    return WM_OK;
}

/* 53 random bits as an integer-valued double (never NaN): AssemblyScript reinterprets it
 * as the seed of Math.random. Without a source the call traps (its result would lie). */
wm_err wm_as_seed(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    uint8_t b[8];
    (void)args;
    if (wm_wasi_draw_random(inst, user, b, sizeof b) != 0)
        return wm_trap(inst, "seed: no random source on this device");
    uint64_t v = 0;
    for (int i = 0; i < 7; i++) v = (v << 8) | b[i];
    union {
        uint64_t u;
        double d;
    } c;
    c.d = (double)(v & ((1ull << 53) - 1u));
    results[0].type = WM_F64;
    results[0].of.f64 = c.u;
    return WM_OK;
}

static const wm_sb_api_entry k_as[] = {
    {"abort", "iiii:", 0, as_abort},
    {"trace", "iiFFFFF:", WM_CAP_LOG, as_trace},
    {"seed", ":F", WM_CAP_RANDOM, wm_as_seed},
};

const wm_sb_api_entry *wm_as_api(uint32_t *count)
{
    *count = (uint32_t)(sizeof k_as / sizeof k_as[0]);
    return k_as;
}
