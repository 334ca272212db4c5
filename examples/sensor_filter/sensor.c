/* sensor_filter: feed(sample) is called for each raw reading (e.g. `wasmote run
 * sensor_filter --invoke feed 512`); the filter state lives in the key-value store, so it
 * survives a reboot. */
#include "wasmote.h"
#include "filter.h"

#define STATE_KEY "filter"
#define HIGH_ALARM 800

__attribute__((export_name("feed"))) int32_t feed(int32_t sample)
{
    filter_state s;
    int32_t n = wm_kv_get(STATE_KEY, 6, &s, (int32_t)sizeof s);
    if (n != (int32_t)sizeof s || s.version != FILTER_STATE_VERSION) {
        filter_init(&s); /* first run (WM_E_NOTFOUND) or an old layout */
    }
    int32_t out = filter_step(&s, sample);
    int32_t r = wm_kv_set(STATE_KEY, 6, &s, (int32_t)sizeof s);
    if (r < 0) {
        wm_log_str("sensor_filter: cannot save state");
    }
    if (out > HIGH_ALARM) {
        wm_log_str("sensor_filter: high");
    }
    return out;
}

/* Forget the history (e.g. after recalibrating the sensor). */
__attribute__((export_name("reset"))) int32_t reset(void)
{
    int32_t r = wm_kv_delete(STATE_KEY, 6);
    return r == WM_E_NOTFOUND ? WM_OK : r;
}
