/* blink: drive led0 with a heartbeat pattern. Needs gpio:led0, time and sleep. */
#include "wasmote.h"
#include "heartbeat.h"

__attribute__((export_name("run"))) int32_t run(void)
{
    int32_t led = wm_gpio_pin_str("led0");
    if (led < 0) {
        wm_log_str("blink: led0 is not available");
        return led;
    }
    wm_log_str("blink: heartbeat on led0");
    for (;;) {
        int32_t phase = (int32_t)(wm_time_ms() % HEARTBEAT_PERIOD_MS);
        int32_t r = wm_gpio_write(led, heartbeat_level(phase));
        if (r < 0) {
            return r;
        }
        /* Sleeping, not spinning: other modules run meanwhile. */
        wm_sleep_ms(HEARTBEAT_STEP_MS);
    }
}
