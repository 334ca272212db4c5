/* The blink pattern, kept free of host calls so it runs anywhere (wasmote exec). */
#include "heartbeat.h"

/* A heartbeat: two 100 ms flashes at the start of every second. */
__attribute__((export_name("heartbeat_level"))) int32_t heartbeat_level(int32_t phase_ms)
{
    int32_t p = phase_ms % HEARTBEAT_PERIOD_MS;
    if (p < 0) {
        p += HEARTBEAT_PERIOD_MS;
    }
    return (p < 100 || (p >= 200 && p < 300)) ? 1 : 0;
}
