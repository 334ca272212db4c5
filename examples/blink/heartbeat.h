#ifndef HEARTBEAT_H
#define HEARTBEAT_H
#include <stdint.h>

#define HEARTBEAT_PERIOD_MS 1000
#define HEARTBEAT_STEP_MS 50 /* how often the LED is updated */

int32_t heartbeat_level(int32_t phase_ms);

#endif
