#include "pins.h"

#include "package.h"
#include "sb_api.h"
#include "sb_util.h"

static const uint8_t k_ns[] = "#pins";
#define NS_LEN 5u

static uint32_t name_len(const char *name)
{
    size_t n = wm_strlen(name);
    return n > WM_KV_KEY_MAX ? 0u : (uint32_t)n;
}

/* The record: the pin (u16 x 3), then the version the name's installed image had when it
 * was raised (u16 x 3; records of 6 bytes, written before, have none). */
#define PIN_BYTES 12u

static int pin_read(void *ctx, const char *name, uint16_t pin[3], uint16_t kept[3])
{
    uint8_t v[PIN_BYTES];
    uint32_t n = name_len(name);
    if (!ctx || n == 0) return 0;
    int got = wm_kv_get(ctx, k_ns, NS_LEN, (const uint8_t *)name, n, v, sizeof v);
    /* a pin that exists but cannot be read must not read as "no pin": that would accept
     * any old version */
    if (got == WM_E_NOTFOUND && wm_kv_torn(ctx, k_ns, NS_LEN, (const uint8_t *)name, n) == 0)
        return 0;
    if (got != 6 && got != (int)PIN_BYTES) return WM_E_IO;
    for (int i = 0; i < 3; i++) {
        pin[i] = wm_ld16(v + 2 * i);
        kept[i] = got == 6 ? pin[i] : wm_ld16(v + 6 + 2 * i);
    }
    return 1;
}

int wm_sb_pin_lookup(void *ctx, const char *name, uint16_t version[3])
{
    uint16_t kept[3];
    return pin_read(ctx, name, version, kept);
}

int wm_sb_pin_lookup_installed(void *ctx, const char *name, uint16_t version[3])
{
    uint16_t pin[3];
    int rc = pin_read(ctx, name, pin, version);
    if (rc == 1 && wm_pkg_version_cmp(pin, version) < 0) {
        for (int i = 0; i < 3; i++) version[i] = pin[i];
    }
    return rc;
}

int wm_sb_pin_record(wm_kv *kv, const char *name, const uint16_t version[3],
                     const uint16_t installed[3])
{
    uint16_t old[3];
    uint32_t n = name_len(name);
    if (n == 0) return WM_E_INVAL;
    int have = wm_sb_pin_lookup(kv, name, old);
    if (have < 0) return have;
    if (have == 1 && wm_pkg_version_cmp(version, old) <= 0) return 0;
    const uint16_t *kept = installed != NULL ? installed : version;
    uint8_t v[PIN_BYTES];
    for (int i = 0; i < 3; i++) {
        wm_st16(v + 2 * i, version[i]);
        wm_st16(v + 6 + 2 * i, kept[i]);
    }
    /* the namespace's share of the config area's reserve (WM_SB_PINS_BYTES) */
    return wm_kv_set(kv, k_ns, NS_LEN, (const uint8_t *)name, n, v, sizeof v, WM_SB_PINS_BYTES);
}

int wm_sb_pin_clear(wm_kv *kv, const char *name)
{
    uint32_t n = name_len(name);
    if (n == 0) return WM_E_INVAL;
    return wm_kv_delete(kv, k_ns, NS_LEN, (const uint8_t *)name, n);
}
