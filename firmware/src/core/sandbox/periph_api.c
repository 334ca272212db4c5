/* Host API: peripherals (periph_api.h, docs/api.md "Peripherals").
 *
 * Every call distrusts its arguments in the API's order: lengths, then ranges in the
 * module's memory, then the name or handle, then the grant; only then is the port asked.
 * Denial before existence: an ungranted target answers WM_E_DENIED without the port being
 * consulted, so a module cannot learn what is on a bus it was not given.
 *
 * Fair sharing: one host call is one whole transaction. The bus bit in wm_sb_host is held
 * only inside the call, and the runtime never runs two host calls at once, so transactions
 * of different modules never interleave; a transaction's bus time is charged to the caller's
 * fuel before it runs, so a module that floods its bus ends its slice early and the
 * scheduler's round robin gives every other module and the console their turn. Bytes go
 * through bounce buffers: the port never sees module memory, and overlapping ranges are
 * harmless. */
#include "periph_api.h"

#include "hostcall.h"
#include "sandbox.h"

static const wm_periph_ops *ops_of(const wm_sb_module *mod) { return mod->host->plat.periph; }

static const char *names_of(const wm_sb_module *mod)
{
    const wm_periph_ops *o = ops_of(mod);
    return o ? o->names : NULL;
}

uint64_t wm_periph_bus_fuel(uint64_t bits, uint32_t hz)
{
    if (hz == 0) hz = 100000u; /* a port that did not say: standard-mode I2C */
    uint64_t us = (bits * 1000000u + hz - 1u) / hz;
    return us ? us : 1u;
}

static bool exists(const wm_periph_ops *o, const wm_periph_target *t)
{
    if (!o) return false;
    switch (t->kind) {
    case WM_CAP_I2C: return t->bus < o->i2c_buses && o->i2c_xfer;
    case WM_CAP_SPI: return t->bus < o->spi_buses && t->unit < o->spi_cs && o->spi_xfer;
    case WM_CAP_UART: return t->unit < o->uarts && o->uart_read && o->uart_write;
    case WM_CAP_ADC: return t->unit < o->adcs && o->adc_read;
    default: return t->unit < o->pwms && o->pwm_set;
    }
}

/* *_open(name, len): the argument, the grant, then the board. */
static int32_t open_target(wm_instance *inst, wm_sb_module *mod, uint8_t kind, const wm_val *args)
{
    int32_t len = arg(args, 1);
    bool fault;
    if (len <= 0 || len > (int32_t)WM_PERIPH_NAME_MAX) return WM_E_INVAL;
    const uint8_t *s = range(inst, arg(args, 0), len, &fault);
    if (fault) return WM_E_FAULT;
    wm_periph_target t;
    int rc = wm_periph_parse(kind, s, (uint32_t)len, names_of(mod), false, &t);
    if (rc == WM_E_NOTFOUND) /* a name the board lacks: only its grantee may learn that */
        return wm_periph_name_granted(&mod->manifest, kind, s, (uint32_t)len) ? WM_E_NOTFOUND
                                                                              : WM_E_DENIED;
    if (rc) return rc;
    if (!wm_periph_granted(&mod->manifest, names_of(mod), &t)) return WM_E_DENIED;
    if (!exists(ops_of(mod), &t)) return WM_E_NOTFOUND;
    for (uint32_t i = 0; i < WM_PERIPH_HANDLES; i++) {
        if (mod->periph[i].kind == 0) {
            mod->periph[i] = t;
            return (int32_t)i;
        }
    }
    return WM_E_FULL;
}

/* The handle's target, re-checked against the grant on every call; NULL and *rc when it is
 * not an open handle of this kind. */
static const wm_periph_target *handle(const wm_sb_module *mod, int32_t h, uint8_t kind, int32_t *rc)
{
    if (h < 0 || h >= (int32_t)WM_PERIPH_HANDLES || mod->periph[h].kind != kind) {
        *rc = WM_E_NOTFOUND;
        return NULL;
    }
    const wm_periph_target *t = &mod->periph[h];
    if (!wm_periph_granted(&mod->manifest, names_of(mod), t)) {
        *rc = WM_E_DENIED;
        return NULL;
    }
    *rc = 0;
    return t;
}

/* Only the codes a port may return reach the module. */
static int32_t port_result(int rc)
{
    if (rc >= 0) return 0;
    switch (rc) {
    case WM_E_NACK:
    case WM_E_TIMEOUT:
    case WM_E_IO:
    case WM_E_UNSUPPORTED:
    case WM_E_INVAL: return rc;
    default: return WM_E_IO;
    }
}

static bool bus_lock(wm_sb_host *h, uint8_t kind, uint8_t bus)
{
    uint16_t *busy = kind == WM_CAP_I2C ? &h->i2c_busy : &h->spi_busy;
    uint16_t bit = (uint16_t)(1u << bus);
    if (*busy & bit) return false;
    *busy |= bit;
    return true;
}

static void bus_unlock(wm_sb_host *h, uint8_t kind, uint8_t bus)
{
    uint16_t *busy = kind == WM_CAP_I2C ? &h->i2c_busy : &h->spi_busy;
    *busy &= (uint16_t) ~(1u << bus);
}

#define MOD() wm_sb_module *mod = user

WM_PERIPH_API(wm_sb_i2c_open)
{
    MOD();
    return ret(results, open_target(inst, mod, WM_CAP_I2C, args));
}

/* One I2C transaction of the handle in args[0]: wn bytes from module memory at `wp`, then
 * rn bytes into module memory at `rp` (lengths and ranges already checked). */
static int32_t i2c_txn(wm_instance *inst, wm_sb_module *mod, int32_t h, const uint8_t *wp,
                       uint32_t wn, uint8_t *rp, uint32_t rn)
{
    int32_t rc;
    const wm_periph_target *t = handle(mod, h, WM_CAP_I2C, &rc);
    if (!t) return rc;
    const wm_periph_ops *o = ops_of(mod);
    uint8_t wbuf[WM_I2C_MAX], rbuf[WM_I2C_MAX];
    for (uint32_t i = 0; i < wn; i++) wbuf[i] = wp[i];
    /* START + address (+ repeated START + address) + bytes, 9 clocks each, + STOP */
    uint64_t bits = 9u * (1u + wn + (wn && rn ? 1u : 0u) + rn) + 3u;
    wm_charge(inst, wm_periph_bus_fuel(bits, o->i2c_hz));
    if (!bus_lock(mod->host, WM_CAP_I2C, t->bus)) return WM_E_IO;
    int x = o->i2c_xfer(o->ctx, t->bus, t->unit, wbuf, wn, rbuf, rn);
    bus_unlock(mod->host, WM_CAP_I2C, t->bus);
    /* Time spent waiting on a stretching device is bus time too (1 fuel a microsecond):
     * what a successful transaction waited, the port's whole bound for a timed-out one.
     * Beyond the fuel left it is owed, so a flood of stretched transactions cannot hold
     * the CPU for more than one transaction past its slice. */
    wm_charge(inst, x > 0 ? (uint64_t)x : x == WM_E_TIMEOUT ? o->i2c_wait_max_us : 0u);
    rc = port_result(x);
    if (rc) return rc;
    for (uint32_t i = 0; i < rn; i++) rp[i] = rbuf[i];
    return (int32_t)(rn ? rn : wn);
}

/* i2c_write(h, buf, len) and i2c_read(h, buf, len): 1..WM_I2C_MAX bytes. */
static int32_t i2c_one_way(wm_instance *inst, wm_sb_module *mod, const wm_val *args, bool write)
{
    int32_t len = arg(args, 2);
    bool fault;
    if (len < 1 || len > (int32_t)WM_I2C_MAX) return WM_E_INVAL;
    uint8_t *p = range(inst, arg(args, 1), len, &fault);
    if (fault) return WM_E_FAULT;
    return write ? i2c_txn(inst, mod, arg(args, 0), p, (uint32_t)len, NULL, 0)
                 : i2c_txn(inst, mod, arg(args, 0), NULL, 0, p, (uint32_t)len);
}

WM_PERIPH_API(wm_sb_i2c_write)
{
    MOD();
    return ret(results, i2c_one_way(inst, mod, args, true));
}

WM_PERIPH_API(wm_sb_i2c_read)
{
    MOD();
    return ret(results, i2c_one_way(inst, mod, args, false));
}

WM_PERIPH_API(wm_sb_i2c_write_read)
{
    MOD();
    int32_t wn = arg(args, 2), rn = arg(args, 4);
    bool fault;
    if (wn < 1 || wn > (int32_t)WM_I2C_MAX || rn < 1 || rn > (int32_t)WM_I2C_MAX)
        return ret(results, WM_E_INVAL);
    const uint8_t *w = range(inst, arg(args, 1), wn, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    uint8_t *r = range(inst, arg(args, 3), rn, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    return ret(results, i2c_txn(inst, mod, arg(args, 0), w, (uint32_t)wn, r, (uint32_t)rn));
}

WM_PERIPH_API(wm_sb_spi_open)
{
    MOD();
    return ret(results, open_target(inst, mod, WM_CAP_SPI, args));
}

/* spi_transfer(h, tx, tx_len, rx, rx_len): max(tx_len, rx_len) bytes clocked with the chip
 * select held; bytes past tx_len are sent as 0x00, bytes past rx_len are dropped. */
WM_PERIPH_API(wm_sb_spi_transfer)
{
    MOD();
    int32_t tn = arg(args, 2), rn = arg(args, 4), rc;
    bool fault;
    if (tn < 0 || tn > (int32_t)WM_SPI_MAX || rn < 0 || rn > (int32_t)WM_SPI_MAX ||
        (tn == 0 && rn == 0))
        return ret(results, WM_E_INVAL);
    const uint8_t *tx = range(inst, arg(args, 1), tn, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    uint8_t *rx = range(inst, arg(args, 3), rn, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    const wm_periph_target *t = handle(mod, arg(args, 0), WM_CAP_SPI, &rc);
    if (!t) return ret(results, rc);
    const wm_periph_ops *o = ops_of(mod);
    uint32_t n = (uint32_t)(tn > rn ? tn : rn);
    uint8_t tbuf[WM_SPI_MAX], rbuf[WM_SPI_MAX];
    for (uint32_t i = 0; i < n; i++) tbuf[i] = i < (uint32_t)tn ? tx[i] : 0u;
    wm_charge(inst, wm_periph_bus_fuel(8u * n, o->spi_hz));
    if (!bus_lock(mod->host, WM_CAP_SPI, t->bus)) return ret(results, WM_E_IO);
    rc = port_result(o->spi_xfer(o->ctx, t->bus, t->unit, tbuf, rbuf, n));
    bus_unlock(mod->host, WM_CAP_SPI, t->bus);
    if (rc) return ret(results, rc);
    for (uint32_t i = 0; i < (uint32_t)rn; i++) rx[i] = rbuf[i];
    return ret(results, (int32_t)n);
}

WM_PERIPH_API(wm_sb_uart_open)
{
    MOD();
    return ret(results, open_target(inst, mod, WM_CAP_UART, args));
}

WM_PERIPH_API(wm_sb_uart_write)
{
    MOD();
    int32_t len = arg(args, 2), rc;
    bool fault;
    if (len < 0 || len > (int32_t)WM_UART_MAX) return ret(results, WM_E_INVAL);
    const uint8_t *p = range(inst, arg(args, 1), len, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    const wm_periph_target *t = handle(mod, arg(args, 0), WM_CAP_UART, &rc);
    if (!t) return ret(results, rc);
    if (len == 0) return ret(results, 0);
    const wm_periph_ops *o = ops_of(mod);
    uint8_t buf[WM_UART_MAX];
    for (int32_t i = 0; i < len; i++) buf[i] = p[i];
    wm_charge(inst, 1u + (uint32_t)len / 8u);
    int n = o->uart_write(o->ctx, t->unit, buf, (uint32_t)len);
    if (n < 0) return ret(results, port_result(n));
    return ret(results, n > len ? len : n);
}

/* uart_read(h, buf, cap, timeout_ms): what has arrived, up to cap bytes; with nothing
 * there, waits like receive (0 = poll, -1 = forever; the module is suspended, never the
 * device) and answers WM_E_TIMEOUT if still nothing came. */
WM_PERIPH_API(wm_sb_uart_read)
{
    MOD();
    int32_t cap = arg(args, 2), timeout = arg(args, 3), rc;
    bool fault;
    if (cap < 1 || cap > (int32_t)WM_UART_MAX || timeout < -1) return ret(results, WM_E_INVAL);
    uint8_t *p = range(inst, arg(args, 1), cap, &fault);
    if (fault) return ret(results, WM_E_FAULT);
    const wm_periph_target *t = handle(mod, arg(args, 0), WM_CAP_UART, &rc);
    if (!t) return ret(results, rc);
    const wm_periph_ops *o = ops_of(mod);
    const wm_sb_platform *pl = &mod->host->plat;
    /* The retry of a read that blocked (wait_uart set) first consumes the wait it armed,
     * bytes or not: left armed, the module's next blocking call (a read, sleep_ms) took
     * it for its own retry and returned at once (receive's bug, issue 14 item 15). */
    bool retry = mod->wait_uart != 0;
    mod->wait_uart = 0;
    if (retry && pl->wait && pl->wait(pl->ctx, mod, timeout)) {
        mod->wait_uart = (uint8_t)(t->unit + 1u); /* (nothing armed after all: wait now) */
        return WM_ERR_BLOCKED;
    }
    uint8_t buf[WM_UART_MAX];
    int n = o->uart_read(o->ctx, t->unit, buf, (uint32_t)cap);
    if (n < 0) return ret(results, port_result(n));
    if (n == 0) {
        mod->wait_uart = (uint8_t)(t->unit + 1u);
        /* blocked: the whole call, checks included, runs again when the module resumes */
        if (!retry && timeout != 0 && pl->wait && pl->wait(pl->ctx, mod, timeout))
            return WM_ERR_BLOCKED;
        mod->wait_uart = 0;
        return ret(results, WM_E_TIMEOUT); /* polled, timed out, or a retry woken for nothing */
    }
    if (n > cap) n = cap;
    wm_charge(inst, 1u + (uint32_t)n / 8u);
    for (int i = 0; i < n; i++) p[i] = buf[i];
    return ret(results, n);
}

WM_PERIPH_API(wm_sb_adc_open)
{
    MOD();
    return ret(results, open_target(inst, mod, WM_CAP_ADC, args));
}

WM_PERIPH_API(wm_sb_adc_read)
{
    MOD();
    int32_t rc;
    const wm_periph_target *t = handle(mod, arg(args, 0), WM_CAP_ADC, &rc);
    if (!t) return ret(results, rc);
    const wm_periph_ops *o = ops_of(mod);
    wm_charge(inst, WM_PERIPH_FUEL_ADC);
    int v = o->adc_read(o->ctx, t->unit);
    return ret(results, v < 0 ? port_result(v) : v);
}

WM_PERIPH_API(wm_sb_pwm_open)
{
    MOD();
    return ret(results, open_target(inst, mod, WM_CAP_PWM, args));
}

/* pwm_set(h, hz, duty): 1..WM_PWM_HZ_MAX Hz, duty 0..65535 (1/65536 of a period). */
WM_PERIPH_API(wm_sb_pwm_set)
{
    MOD();
    int32_t hz = arg(args, 1), duty = arg(args, 2), rc;
    if (hz < 1 || hz > (int32_t)WM_PWM_HZ_MAX || duty < 0 || duty > 65535)
        return ret(results, WM_E_INVAL);
    const wm_periph_target *t = handle(mod, arg(args, 0), WM_CAP_PWM, &rc);
    if (!t) return ret(results, rc);
    const wm_periph_ops *o = ops_of(mod);
    wm_charge(inst, WM_PERIPH_FUEL_PWM);
    return ret(results, port_result(o->pwm_set(o->ctx, t->unit, (uint32_t)hz, (uint32_t)duty)));
}

static void pwm_off(wm_sb_module *mod, const wm_periph_target *t)
{
    const wm_periph_ops *o = ops_of(mod);
    if (t->kind == WM_CAP_PWM && exists(o, t)) (void)o->pwm_set(o->ctx, t->unit, 1u, 0u);
}

/* periph_close(h): frees the handle (a PWM output goes to 0 %). Linked for every module:
 * it only ever touches the caller's own handles. */
WM_PERIPH_API(wm_sb_periph_close)
{
    MOD();
    (void)inst;
    int32_t h = arg(args, 0);
    if (h < 0 || h >= (int32_t)WM_PERIPH_HANDLES || mod->periph[h].kind == 0)
        return ret(results, WM_E_NOTFOUND);
    pwm_off(mod, &mod->periph[h]);
    mod->periph[h].kind = 0;
    return ret(results, 0);
}

void wm_sb_periph_release(wm_sb_module *mod)
{
    for (uint32_t i = 0; i < WM_PERIPH_HANDLES; i++) {
        pwm_off(mod, &mod->periph[i]);
        mod->periph[i].kind = 0;
    }
    mod->wait_uart = 0;
}

/* Blocked in uart_read: only its UART wakes it (a message would end the read early with
 * WM_E_TIMEOUT); blocked in receive: a message. */
bool wm_sb_wait_ready(const wm_sb_module *mod)
{
    const wm_periph_ops *o = ops_of(mod);
    if (mod->wait_uart == 0) return mod->ps.count > 0;
    return o && o->uart_ready && o->uart_ready(o->ctx, mod->wait_uart - 1u) > 0;
}
