/* A spike-rejecting smoother: median of the last three samples, then an exponential moving
 * average (alpha = 1/4). Integer only: no float unit needed, same result on every board. */
#include "filter.h"

__attribute__((export_name("median3"))) int32_t median3(int32_t a, int32_t b, int32_t c)
{
    if (a > b) {
        int32_t t = a;
        a = b;
        b = t;
    }
    if (b > c) {
        b = c;
    }
    return a > b ? a : b;
}

/* ema += (sample - ema) / 4, in 24.8 fixed point; returns the new ema_q8. */
__attribute__((export_name("ema_step"))) int32_t ema_step(int32_t ema_q8, int32_t sample)
{
    int32_t target = sample * 256;
    return ema_q8 + (target - ema_q8) / 4;
}

void filter_init(filter_state *s)
{
    s->version = FILTER_STATE_VERSION;
    s->count = 0;
    s->prev[0] = 0;
    s->prev[1] = 0;
    s->ema_q8 = 0;
}

/* Returns the filtered value (rounded to an integer). */
int32_t filter_step(filter_state *s, int32_t sample)
{
    int32_t m;
    if (s->count < 2) {
        m = sample; /* too few samples for a median yet */
        if (s->count == 0) {
            s->ema_q8 = sample * 256;
        }
    } else {
        m = median3(s->prev[0], s->prev[1], sample);
    }
    s->prev[0] = s->prev[1];
    s->prev[1] = sample;
    if (s->count < 1000000) {
        s->count++;
    }
    s->ema_q8 = ema_step(s->ema_q8, m);
    return (s->ema_q8 + 128) / 256;
}
