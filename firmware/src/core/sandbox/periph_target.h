/* Which peripheral a grant or an *_open names, and whether a manifest grants it
 * (docs/module-format.md has the grammar; host_tools/wasmote/package/peripherals.py is
 * the host's copy, kept equal by tests/periph).
 *
 *   i2c:BUS/0xAA   one device (7-bit address 0x08..0x77: the reserved ones, general call
 *                  and 10-bit prefixes included, are never reachable)
 *   i2c:BUS/ *     every device on that bus (written without the space)
 *   spi:BUS/CS     one chip select;  spi:BUS/ *  every chip select of the bus
 *   uart:NAME  adc:NAME  pwm:NAME   a board's named channel
 *   i2c:NAME  spi:NAME              a board's named device ("temp0" = i2c:0/0x48)
 *
 * BUS and CS are decimal 0..15 without leading zeros; NAME is [a-z][a-z0-9_]{0,31}. The
 * board's names come from wm_periph_ops.names: "temp0=i2c:0/0x48,aux=uart:0,...". */
#ifndef WM_SB_PERIPH_TARGET_H
#define WM_SB_PERIPH_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "package.h"

typedef struct wm_periph_target {
    uint8_t kind; /* WM_CAP_I2C .. WM_CAP_PWM */
    uint8_t bus;  /* I2C/SPI bus (0 for the others) */
    uint8_t unit; /* I2C address, SPI chip select, or the UART/ADC/PWM index */
    bool any;     /* BUS/ *: every unit of the bus (grants only) */
} wm_periph_target;

static inline bool wm_periph_kind(uint8_t kind) { return kind >= WM_CAP_I2C && kind <= WM_CAP_PWM; }

/* The capability argument grammar for kinds I2C..PWM. */
bool wm_periph_arg_ok(uint8_t kind, const uint8_t *s, uint32_t n);

/* Parses an argument of `kind`: the numeric forms, or a NAME looked up in `names`.
 * 0, WM_E_INVAL (not the grammar), or WM_E_NOTFOUND (the board has no such name of this
 * kind). `allow_any` admits BUS/ * (grants, not opens). */
int wm_periph_parse(uint8_t kind, const uint8_t *s, uint32_t n, const char *names, bool allow_any,
                    wm_periph_target *out);

/* True if one of the manifest's grants of t->kind covers `t`. */
bool wm_periph_granted(const wm_manifest *m, const char *names, const wm_periph_target *t);

/* True if the manifest grants exactly the NAME s[0..n) for `kind` (whether or not the
 * board has it): lets an open of a granted but absent name answer WM_E_NOTFOUND while any
 * other unknown name gets WM_E_DENIED. */
bool wm_periph_name_granted(const wm_manifest *m, uint8_t kind, const uint8_t *s, uint32_t n);

#endif
