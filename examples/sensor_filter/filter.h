#ifndef FILTER_H
#define FILTER_H
#include <stdint.h>

/* State kept in the module's key-value store between calls (and reboots). */
typedef struct {
    int32_t version; /* FILTER_STATE_VERSION: a stored state of another layout is reset */
    int32_t count;   /* samples seen */
    int32_t prev[2]; /* the last two raw samples, for the median */
    int32_t ema_q8;  /* the smoothed value, fixed point with 8 fraction bits */
} filter_state;

#define FILTER_STATE_VERSION 1

int32_t median3(int32_t a, int32_t b, int32_t c);
int32_t ema_step(int32_t ema_q8, int32_t sample);
void filter_init(filter_state *s);
int32_t filter_step(filter_state *s, int32_t sample);

#endif
