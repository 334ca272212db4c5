#include "gpio.h"

static const char *sim_name(void *ctx, uint32_t pin)
{
    const wm_gpio_sim *s = ctx;
    return pin < s->count ? s->names[pin] : "";
}

static uint32_t sim_flags(void *ctx, uint32_t pin)
{
    const wm_gpio_sim *s = ctx;
    return pin < s->count ? s->flags[pin] : 0u;
}

static int sim_write(void *ctx, uint32_t pin, int level)
{
    wm_gpio_sim *s = ctx;
    if (pin >= s->count) return -1;
    s->levels[pin] = level ? 1u : 0u;
    return 0;
}

static int sim_read(void *ctx, uint32_t pin)
{
    const wm_gpio_sim *s = ctx;
    return pin < s->count ? (s->levels[pin] ? 1 : 0) : -1;
}

void wm_gpio_sim_init(wm_gpio_sim *sim, const char *const *names, const uint8_t *flags,
                      uint8_t *levels, uint32_t count)
{
    sim->names = names;
    sim->flags = flags;
    sim->levels = levels;
    sim->count = count;
    sim->ops.ctx = sim;
    sim->ops.count = count;
    sim->ops.name = sim_name;
    sim->ops.flags = sim_flags;
    sim->ops.write = sim_write;
    sim->ops.read = sim_read;
}
