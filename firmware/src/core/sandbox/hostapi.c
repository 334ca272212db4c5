/* Host API version 1 (docs/api.md). Every function distrusts its arguments: lengths first,
 * then ranges against the calling instance's memory, then content, then the grant. Errors
 * come back as negative results; no host function traps. */
#include "sandbox.h"

#include "hostcall.h"
#include "periph_api.h"
#include "sb_api.h"
#include "wasi/wasi.h"

void wm_sb_charge(wm_sb_module *mod, uint64_t units)
{
    if (mod->inst) wm_charge(mod->inst, units);
}

uint64_t wm_sb_line_fuel(const wm_sb_module *mod, uint32_t bytes)
{
    uint32_t per_byte = mod->host->plat.log_byte_fuel;
    return WM_SB_FUEL_LOG_LINE + (uint64_t)bytes * (per_byte != 0 ? per_byte : WM_SB_FUEL_LOG_BYTE);
}

/* kv calls scan the config area's active bank */
static uint32_t kv_fuel(const wm_kv *kv) { return 1u + kv->bank_size / WM_SB_FUEL_KV_BYTES; }

uint8_t *wm_sb_range(wm_instance *inst, uint32_t ptr, uint32_t len, bool *fault)
{
    wm_memory *mem = wm_instance_memory(inst);
    uint64_t size = mem ? wm_memory_bytes(mem) : 0u;
    *fault = (uint64_t)ptr + (uint64_t)len > size;
    if (*fault || len == 0) return NULL;
    uint8_t *p = wm_mem_ptr(inst, ptr, len);
    *fault = p == NULL;
    return p;
}

static wm_err h_log(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t len = arg(args, 1);
    bool fault;
    if (len < 0) return ret(results, WM_E_INVAL);
    const uint8_t *p = range(inst, arg(args, 0), len, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    uint32_t n = (uint32_t)len < WM_LOG_MAX ? (uint32_t)len : WM_LOG_MAX;
    const wm_sb_platform *pl = &mod->host->plat;
    wm_charge(inst, wm_sb_line_fuel(mod, n));
    if (pl->log) pl->log(pl->ctx, mod, n ? p : (const uint8_t *)"", n);
    return ret(results, (int32_t)n);
}

static wm_err h_time_ms(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    const wm_sb_platform *pl = &mod->host->plat;
    (void)inst;
    (void)args;
    uint64_t t = pl->now_ms ? pl->now_ms(pl->ctx) : 0u;
    results[0].type = WM_I64;
    results[0].of.i64 = t & 0x7FFFFFFFFFFFFFFFull; /* never negative as an i64 */
    return WM_OK;
}

static wm_err h_sleep_ms(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    const wm_sb_platform *pl = &mod->host->plat;
    (void)inst;
    if (arg(args, 0) < 0) return ret(results, WM_E_INVAL);
    if (pl->sleep && pl->sleep(pl->ctx, mod, (uint32_t)arg(args, 0))) return WM_ERR_BLOCKED;
    return ret(results, 0);
}

static wm_err h_yield(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    const wm_sb_platform *pl = &mod->host->plat;
    (void)inst;
    (void)args;
    if (pl->sleep && pl->sleep(pl->ctx, mod, 0)) return WM_ERR_BLOCKED;
    return ret(results, 0);
}

/* ---- gpio ---- */

static bool pin_granted(const wm_manifest *m, const char *name)
{
    for (uint32_t i = 0; i < m->ncaps; i++) {
        const wm_pkg_cap *c = &m->caps[i];
        if (c->kind != WM_CAP_GPIO) continue;
        if ((c->arg_len == 1 && c->arg[0] == '*') || wm_streq_n(name, c->arg, c->arg_len))
            return true;
    }
    return false;
}

static bool pin_granted_n(const wm_manifest *m, const uint8_t *name, uint32_t n)
{
    for (uint32_t i = 0; i < m->ncaps; i++) {
        const wm_pkg_cap *c = &m->caps[i];
        if (c->kind != WM_CAP_GPIO) continue;
        if ((c->arg_len == 1 && c->arg[0] == '*') || (c->arg_len == n && wm_memeq(c->arg, name, n)))
            return true;
    }
    return false;
}

static wm_err h_gpio_pin(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t len = arg(args, 1);
    bool fault;
    if (len <= 0 || len > (int32_t)WM_PIN_NAME_MAX) return ret(results, WM_E_INVAL);
    const uint8_t *name = range(inst, arg(args, 0), len, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    /* denial before existence: a module cannot probe for pins it was not granted */
    if (!pin_granted_n(&mod->manifest, name, (uint32_t)len)) return ret(results, WM_E_DENIED);
    const wm_gpio_ops *g = mod->host->plat.gpio;
    for (uint32_t i = 0; g && i < g->count; i++)
        if (wm_streq_n(g->name(g->ctx, i), name, (uint32_t)len)) return ret(results, (int32_t)i);
    return ret(results, WM_E_NOTFOUND);
}

/* A handle is re-checked against the grant on every call. */
static int32_t check_handle(const wm_sb_module *mod, int32_t pin)
{
    const wm_gpio_ops *g = mod->host->plat.gpio;
    if (!g || pin < 0 || (uint32_t)pin >= g->count) return WM_E_NOTFOUND;
    if (!pin_granted(&mod->manifest, g->name(g->ctx, (uint32_t)pin))) return WM_E_DENIED;
    return 0;
}

static wm_err h_gpio_write(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    (void)inst;
    int32_t pin = arg(args, 0), rc = check_handle(mod, pin);
    if (rc) return ret(results, rc);
    const wm_gpio_ops *g = mod->host->plat.gpio;
    if (!(g->flags(g->ctx, (uint32_t)pin) & WM_GPIO_OUT)) return ret(results, WM_E_UNSUPPORTED);
    return ret(results, g->write(g->ctx, (uint32_t)pin, arg(args, 1) != 0) ? WM_E_IO : 0);
}

static wm_err h_gpio_read(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    (void)inst;
    int32_t pin = arg(args, 0), rc = check_handle(mod, pin);
    if (rc) return ret(results, rc);
    const wm_gpio_ops *g = mod->host->plat.gpio;
    int v = g->read(g->ctx, (uint32_t)pin);
    return ret(results, v < 0 ? WM_E_IO : (v ? 1 : 0));
}

/* ---- kv ---- */

static const uint8_t *key_arg(wm_instance *inst, const wm_val *args, int32_t *rc)
{
    int32_t len = arg(args, 1);
    bool fault;
    if (len < 1 || len > (int32_t)WM_KV_KEY_MAX) {
        *rc = WM_E_INVAL;
        return NULL;
    }
    const uint8_t *k = range(inst, arg(args, 0), len, &fault);
    *rc = fault ? WM_E_FAULT : 0;
    return k;
}

static const uint8_t *ns(const wm_sb_module *mod, uint32_t *len)
{
    *len = (uint32_t)wm_strlen(mod->manifest.name);
    return (const uint8_t *)mod->manifest.name;
}

static wm_err h_kv_get(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t rc, cap = arg(args, 3);
    bool fault;
    const uint8_t *key = key_arg(inst, args, &rc);
    if (rc == WM_E_INVAL || cap < 0) return ret(results, WM_E_INVAL);
    if (rc) return ret(results, rc);
    uint8_t *buf = range(inst, arg(args, 2), cap, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    wm_kv *kv = mod->host->plat.kv;
    if (!kv) return ret(results, WM_E_IO);
    uint32_t nl;
    const uint8_t *n = ns(mod, &nl);
    int32_t got = wm_kv_get(kv, n, nl, key, (uint32_t)arg(args, 1), buf, (uint32_t)cap);
    const wm_sb_platform *pl = &mod->host->plat;
    if (pl->kv_spent) pl->kv_spent(pl->ctx, mod, 0, kv->work); /* the scan, charged */
    return ret(results, got);
}

/* A kv write (val NULL: a delete) within the module's write budget, its flash work charged
 * to the module afterwards (the platform's kv_budget / kv_spent). */
static int32_t kv_write(wm_sb_module *mod, wm_kv *kv, const uint8_t *key, uint32_t key_len,
                        const uint8_t *val, uint32_t val_len)
{
    const wm_sb_platform *pl = &mod->host->plat;
    uint32_t nl;
    const uint8_t *n = ns(mod, &nl);
    uint32_t bytes = wm_kv_record_bytes(nl, key_len, val_len);
    if (pl->kv_budget && !pl->kv_budget(pl->ctx, mod, bytes)) return WM_E_BUDGET;
    int32_t rc = val ? wm_kv_set(kv, n, nl, key, key_len, val, val_len, mod->manifest.kv_quota)
                     : wm_kv_delete(kv, n, nl, key, key_len);
    if (pl->kv_spent) pl->kv_spent(pl->ctx, mod, rc == 0 ? bytes : 0u, kv->work);
    return rc;
}

static wm_err h_kv_set(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t rc, vlen = arg(args, 3);
    bool fault;
    const uint8_t *key = key_arg(inst, args, &rc);
    if (rc == WM_E_INVAL || vlen < 0 || vlen > (int32_t)WM_KV_VALUE_MAX)
        return ret(results, WM_E_INVAL);
    if (rc) return ret(results, rc);
    const uint8_t *val = range(inst, arg(args, 2), vlen, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    wm_kv *kv = mod->host->plat.kv;
    if (!kv) return ret(results, WM_E_IO);
    static const uint8_t empty = 0; /* a set of an empty value is not a delete */
    return ret(results,
               kv_write(mod, kv, key, (uint32_t)arg(args, 1), val ? val : &empty, (uint32_t)vlen));
}

static wm_err h_kv_delete(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t rc;
    const uint8_t *key = key_arg(inst, args, &rc);
    if (rc) return ret(results, rc);
    wm_kv *kv = mod->host->plat.kv;
    if (!kv) return ret(results, WM_E_IO);
    return ret(results, kv_write(mod, kv, key, (uint32_t)arg(args, 1), NULL, 0));
}

/* ---- pubsub ---- */

static wm_err h_publish(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t tlen = arg(args, 1), dlen = arg(args, 3);
    bool fault;
    if (tlen < 1 || tlen > (int32_t)WM_TOPIC_MAX || dlen < 0 || dlen > (int32_t)WM_MESSAGE_MAX)
        return ret(results, WM_E_INVAL);
    const uint8_t *topic = range(inst, arg(args, 0), tlen, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    const uint8_t *data = range(inst, arg(args, 2), dlen, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    int rc = wm_ps_publish(&mod->host->bus, &mod->ps, topic, (uint32_t)tlen, data, (uint32_t)dlen);
    /* the fan-out's work too: up to 9 subscribers' patterns matched and queues filled */
    wm_charge(inst, WM_SB_FUEL_PUBLISH + mod->host->bus.work / WM_PS_WORK_PER_FUEL);
    return ret(results, rc);
}

static wm_err h_subscribe(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t len = arg(args, 1);
    bool fault;
    if (len < 1 || len > (int32_t)WM_TOPIC_MAX) return ret(results, WM_E_INVAL);
    const uint8_t *pat = range(inst, arg(args, 0), len, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    return ret(results, wm_ps_subscribe(&mod->ps, pat, (uint32_t)len));
}

static wm_err h_receive(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    wm_sb_module *mod = user;
    int32_t cap = arg(args, 1), timeout = arg(args, 2);
    bool fault;
    if (cap < 0 || timeout < -1) return ret(results, WM_E_INVAL);
    uint8_t *buf = range(inst, arg(args, 0), cap, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    const wm_sb_platform *pl = &mod->host->plat;
    /* blocked: the whole call, checks included, runs again when the module resumes. The
     * hook sees every call that may wait, the retry included even when a message is now
     * queued, so it can tell a retry from a new wait (it used to be skipped then, and the
     * module's next receive took the stale retry for its own and returned WM_E_TIMEOUT
     * although it had asked to wait forever). */
    if (timeout != 0 && pl->wait && pl->wait(pl->ctx, mod, timeout)) return WM_ERR_BLOCKED;
    return ret(results, wm_ps_receive(&mod->ps, buf, (uint32_t)cap));
}

/* The most one call of a host function the module imports charges. Not the peripheral
 * calls' bus time (periph_api.c, up to 11730 units for a 64+64-byte I2C transaction at
 * 100 kHz): more than a slice, it would cut every bus user's slices to 1 unit; what a
 * transaction overruns is owed (docs/supervisor.md, "Bus time is the caller's"). */
static uint64_t host_fuel_max(const wm_sb_module *mod)
{
    uint64_t most = 0, f = 0;
    for (uint32_t i = 0; i < mod->nfuncs; i++) { /* (each call: WM_FUEL_HOST on top) */
        wm_host_fn fn = mod->funcs[i].fn;
        if (fn == h_log)
            f = wm_sb_line_fuel(mod, WM_LOG_MAX);
        else if (fn == h_publish)
            f = WM_SB_FUEL_PUBLISH + wm_ps_publish_work_max(&mod->manifest) / WM_PS_WORK_PER_FUEL +
                (wm_sb_granted(&mod->manifest, WM_CAP_BRIDGE_OUT)
                     ? wm_sb_line_fuel(mod, WM_SB_BRIDGE_EVENT_MAX)
                     : 0u);
        else if (fn == wm_wasi_fd_write) /* takes what the fuel pays for, overshoots by: */
            f = WM_WASI_FUEL_PER_OUT_BYTE + 2u * (uint64_t)WM_WASI_FUEL_PER_PIECE;
        else if (fn == wm_wasi_random_get || fn == wm_as_seed)
            f = WM_WASI_FUEL_RANDOM_MAX;
        else if ((fn == h_kv_get || fn == h_kv_set || fn == h_kv_delete) && mod->host->plat.kv)
            f = kv_fuel(mod->host->plat.kv);
        else
            f = 0;
        if (f > most) most = f;
    }
    return mod->nfuncs ? most + WM_FUEL_HOST : 0u;
}

uint32_t wm_sb_fuel_stretch(const wm_sb_module *mod)
{
    uint64_t most = mod->module ? wm_module_fuel_stretch(mod->module) : 0u;
    uint64_t host = host_fuel_max(mod);
    if (host > most) most = host;
    return most > UINT32_MAX ? UINT32_MAX : (uint32_t)most;
}

uint64_t wm_sb_slice_fuel(const wm_sb_module *mod, uint32_t cap)
{
    uint32_t want = mod->manifest.fuel < cap ? mod->manifest.fuel : cap;
    /* A call runs up to one stretch past its fuel (check points charge after the code they
     * pay for): with that much less, a slice does at most `want` units of work. */
    uint32_t stretch = wm_sb_fuel_stretch(mod);
    return want > stretch ? want - stretch : 1u;
}

static const wm_sb_api_entry k_api[WM_SB_HOST_FUNCS] = {
    {"log", "ii:i", WM_CAP_LOG, h_log},
    {"time_ms", ":I", WM_CAP_TIME, h_time_ms},
    {"sleep_ms", "i:i", WM_CAP_SLEEP, h_sleep_ms},
    {"yield", ":i", 0, h_yield},
    {"gpio_pin", "ii:i", WM_CAP_GPIO, h_gpio_pin},
    {"gpio_write", "ii:i", WM_CAP_GPIO, h_gpio_write},
    {"gpio_read", "i:i", WM_CAP_GPIO, h_gpio_read},
    {"kv_get", "iiii:i", WM_CAP_KV, h_kv_get},
    {"kv_set", "iiii:i", WM_CAP_KV, h_kv_set},
    {"kv_delete", "ii:i", WM_CAP_KV, h_kv_delete},
    {"publish", "iiii:i", WM_CAP_PUBSUB, h_publish},
    {"subscribe", "ii:i", WM_CAP_PUBSUB, h_subscribe},
    {"receive", "iii:i", WM_CAP_PUBSUB, h_receive},
    {"i2c_open", "ii:i", WM_CAP_I2C, wm_sb_i2c_open},
    {"i2c_write", "iii:i", WM_CAP_I2C, wm_sb_i2c_write},
    {"i2c_read", "iii:i", WM_CAP_I2C, wm_sb_i2c_read},
    {"i2c_write_read", "iiiii:i", WM_CAP_I2C, wm_sb_i2c_write_read},
    {"spi_open", "ii:i", WM_CAP_SPI, wm_sb_spi_open},
    {"spi_transfer", "iiiii:i", WM_CAP_SPI, wm_sb_spi_transfer},
    {"uart_open", "ii:i", WM_CAP_UART, wm_sb_uart_open},
    {"uart_write", "iii:i", WM_CAP_UART, wm_sb_uart_write},
    {"uart_read", "iiii:i", WM_CAP_UART, wm_sb_uart_read},
    {"adc_open", "ii:i", WM_CAP_ADC, wm_sb_adc_open},
    {"adc_read", "i:i", WM_CAP_ADC, wm_sb_adc_read},
    {"pwm_open", "ii:i", WM_CAP_PWM, wm_sb_pwm_open},
    {"pwm_set", "iii:i", WM_CAP_PWM, wm_sb_pwm_set},
    {"periph_close", "i:i", 0, wm_sb_periph_close},
#ifdef WM_FAULT_INJECTION
    {"fault_hang", ":", 0, wm_sb_fault_hang},
    {"fault_crash", ":", 0, wm_sb_fault_crash},
#endif
};

const wm_sb_api_entry *wm_sb_api(uint32_t *count)
{
    *count = WM_SB_HOST_FUNCS;
    return k_api;
}

bool wm_sb_granted(const wm_manifest *m, uint8_t cap)
{
    if (cap == 0) return true;
    for (uint32_t i = 0; i < m->ncaps; i++)
        if (m->caps[i].kind == cap) return true;
    return false;
}
