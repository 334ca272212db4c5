/* Peripheral grants and targets (periph_target.h). Everything here reads bounded byte
 * ranges: manifest arguments and module strings are hostile, the board's name table is
 * trusted but parsed just as strictly. */
#include "periph_target.h"

#include "periph_ops.h"
#include "sb_api.h"
#include "sb_util.h"

static const char *const k_kind_names[] = {"i2c", "spi", "uart", "adc", "pwm"};

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Decimal 0..15 without leading zeros; -1 if not. */
static int small_number(const uint8_t *s, uint32_t n)
{
    if (n == 0 || n > 2 || !is_digit(s[0]) || (n == 2 && (s[0] == '0' || !is_digit(s[1]))))
        return -1;
    int v = n == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
    return v < (int)WM_PERIPH_UNITS_MAX ? v : -1;
}

/* "0x" and two lowercase hex digits, a 7-bit address outside the reserved ranges. */
static int i2c_address(const uint8_t *s, uint32_t n)
{
    if (n != 4 || s[0] != '0' || s[1] != 'x') return -1;
    int v = 0;
    for (uint32_t i = 2; i < 4; i++) {
        uint8_t c = s[i];
        int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v >= 0x08 && v <= 0x77 ? v : -1;
}

static bool is_bus_kind(uint8_t kind) { return kind == WM_CAP_I2C || kind == WM_CAP_SPI; }

/* BUS/UNIT or (allow_any) BUS/ *, for I2C and SPI. */
static bool parse_numeric(uint8_t kind, const uint8_t *s, uint32_t n, bool allow_any,
                          wm_periph_target *out)
{
    uint32_t slash = 0;
    while (slash < n && s[slash] != '/') slash++;
    if (!is_bus_kind(kind) || slash == n) return false;
    int bus = small_number(s, slash);
    const uint8_t *u = s + slash + 1;
    uint32_t un = n - slash - 1;
    if (bus < 0) return false;
    out->kind = kind;
    out->bus = (uint8_t)bus;
    out->unit = 0;
    out->any = un == 1 && u[0] == '*';
    if (out->any) return allow_any;
    int unit = kind == WM_CAP_I2C ? i2c_address(u, un) : small_number(u, un);
    out->unit = (uint8_t)(unit < 0 ? 0 : unit);
    return unit >= 0;
}

/* Looks NAME up in the board's table; false if absent, of another kind, or malformed. */
static bool lookup_name(uint8_t kind, const uint8_t *s, uint32_t n, const char *names,
                        wm_periph_target *out)
{
    if (!names) return false;
    const char *kname = k_kind_names[kind - WM_CAP_I2C];
    uint32_t klen = (uint32_t)wm_strlen(kname);
    const uint8_t *p = (const uint8_t *)names;
    while (*p) {
        const uint8_t *e = p;
        while (*e && *e != ',') e++;
        /* entry [p, e): NAME=KIND:SPEC */
        uint32_t len = (uint32_t)(e - p), eq = 0;
        while (eq < len && p[eq] != '=') eq++;
        if (eq == n && eq < len && wm_memeq(p, s, n)) {
            const uint8_t *rhs = p + eq + 1;
            uint32_t rlen = len - eq - 1;
            if (rlen <= klen || !wm_memeq(rhs, kname, klen) || rhs[klen] != ':') return false;
            const uint8_t *spec = rhs + klen + 1;
            uint32_t slen = rlen - klen - 1;
            if (is_bus_kind(kind)) return parse_numeric(kind, spec, slen, false, out);
            int idx = small_number(spec, slen);
            out->kind = kind;
            out->bus = 0;
            out->unit = (uint8_t)(idx < 0 ? 0 : idx);
            out->any = false;
            return idx >= 0;
        }
        p = *e ? e + 1 : e;
    }
    return false;
}

bool wm_periph_arg_ok(uint8_t kind, const uint8_t *s, uint32_t n)
{
    wm_periph_target t;
    if (!wm_periph_kind(kind) || n == 0 || n > WM_PKG_CAP_ARG_MAX) return false;
    if (wm_pkg_pin_name_ok(s, n)) return true; /* a NAME: the same grammar as a pin's */
    return parse_numeric(kind, s, n, true, &t);
}

int wm_periph_parse(uint8_t kind, const uint8_t *s, uint32_t n, const char *names, bool allow_any,
                    wm_periph_target *out)
{
    if (!wm_periph_kind(kind) || n == 0 || n > WM_PERIPH_NAME_MAX) return WM_E_INVAL;
    if (wm_pkg_pin_name_ok(s, n)) return lookup_name(kind, s, n, names, out) ? 0 : WM_E_NOTFOUND;
    return parse_numeric(kind, s, n, allow_any, out) ? 0 : WM_E_INVAL;
}

bool wm_periph_granted(const wm_manifest *m, const char *names, const wm_periph_target *t)
{
    for (uint32_t i = 0; i < m->ncaps; i++) {
        const wm_pkg_cap *c = &m->caps[i];
        wm_periph_target g;
        if (c->kind != t->kind ||
            wm_periph_parse(c->kind, c->arg, c->arg_len, names, true, &g) != 0)
            continue;
        if (g.bus == t->bus && (g.any || g.unit == t->unit)) return true;
    }
    return false;
}

bool wm_periph_name_granted(const wm_manifest *m, uint8_t kind, const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < m->ncaps; i++) {
        const wm_pkg_cap *c = &m->caps[i];
        if (c->kind == kind && c->arg_len == n && wm_memeq(c->arg, s, n)) return true;
    }
    return false;
}
