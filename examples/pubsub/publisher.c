/* publisher: publishes a (simulated) temperature reading on sensors/temp once a second. */
#include "wasmote.h"
#include "decimal.h"

#define TOPIC "sensors/temp"

/* A slow triangle wave between 180 and 260 tenths of a degree: a stand-in sensor. */
static int32_t simulated_reading(int64_t now_ms)
{
    int32_t t = (int32_t)((now_ms / 1000) % 16);
    return 180 + 10 * (t < 8 ? t : 16 - t);
}

__attribute__((export_name("run"))) int32_t run(void)
{
    char msg[DECIMAL_MAX];
    for (;;) {
        int32_t n = format_decimal(simulated_reading(wm_time_ms()), msg);
        int32_t r = wm_publish(TOPIC, wm_strlen(TOPIC), msg, n);
        if (r < 0) {
            return r; /* WM_E_DENIED if the manifest lacked pubsub:sensors/... */
        }
        wm_sleep_ms(1000);
    }
}
