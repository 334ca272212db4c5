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

int wm_sb_pin_lookup(void *ctx, const char *name, uint16_t version[3])
{
    uint8_t v[6];
    uint32_t n = name_len(name);
    if (!ctx || n == 0) return 0;
    int got = wm_kv_get(ctx, k_ns, NS_LEN, (const uint8_t *)name, n, v, sizeof v);
    /* a pin that exists but cannot be read must not read as "no pin": that would accept
     * any old version */
    if (got == WM_E_NOTFOUND && wm_kv_torn(ctx, k_ns, NS_LEN, (const uint8_t *)name, n) == 0)
        return 0;
    if (got != 6) return WM_E_IO;
    for (int i = 0; i < 3; i++) version[i] = wm_ld16(v + 2 * i);
    return 1;
}

int wm_sb_pin_record(wm_kv *kv, const char *name, const uint16_t version[3])
{
    uint16_t old[3];
    uint32_t n = name_len(name);
    if (n == 0) return WM_E_INVAL;
    int have = wm_sb_pin_lookup(kv, name, old);
    if (have < 0) return have;
    if (have == 1 && wm_pkg_version_cmp(version, old) <= 0) return 0;
    uint8_t v[6];
    for (int i = 0; i < 3; i++) {
        v[2 * i] = (uint8_t)version[i];
        v[2 * i + 1] = (uint8_t)(version[i] >> 8);
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
