/* fuel.c - instruction weights (wm_fuel.h). A weight is the cost of the instruction in the
 * slower engine (the interpreter on a Cortex-M4) in units of about one simple instruction,
 * rounded up, so that no instruction does much more work per unit than `i32.add`: the
 * figures behind each class are in docs/supervisor.md ("Fuel", measured). */
#include "wm_fuel.h"

uint32_t wm_fuel_weight(uint32_t op)
{
    if (op >= 0xFC00u) {
        switch (op & 0xFFu) {
        case 0: case 1: case 2: case 3: /* saturating float -> int */
        case 4: case 5: case 6: case 7: return 3u;
        case 8: case 10: case 11: case 12: case 14: case 17: return 2u; /* bulk, + its size */
        case 15: return 2u; /* table.grow, + its size */
        default: return 1u; /* data.drop, elem.drop, table.size */
        }
    }
    switch (op) {
    case 0x10: return 3u; /* call */
    case 0x11: return 4u; /* call_indirect: table, type check */
    case 0x40: return 4u; /* memory.grow, + the bytes it zeroes */
    case 0x7F: case 0x80: case 0x81: case 0x82: return 4u; /* i64 div/rem (a library call) */
    case 0x8D: case 0x8E: case 0x8F: case 0x90: return 2u; /* f32 ceil/floor/trunc/nearest */
    case 0x91: return 2u;                                  /* f32.sqrt */
    case 0x9B: case 0x9C: case 0x9D: case 0x9E: return 3u; /* f64 ceil/floor/trunc/nearest */
    case 0x9F: return 16u;                                 /* f64.sqrt (digit by digit) */
    case 0xA0: case 0xA1: case 0xA2: return 3u;            /* f64 add/sub/mul (soft float) */
    case 0xA3: return 6u;                                  /* f64.div */
    case 0xA4: case 0xA5: return 2u;                       /* f64 min/max */
    case 0x61: case 0x62: case 0x63: case 0x64: case 0x65: case 0x66: return 2u; /* f64 cmp */
    case 0xA8: case 0xA9: case 0xAA: case 0xAB:            /* trapping float -> int */
    case 0xAE: case 0xAF: case 0xB0: case 0xB1: return 3u;
    case 0xB4: case 0xB5: case 0xB6: case 0xB7: case 0xB8: /* conversions to/from f64 */
    case 0xB9: case 0xBA: case 0xBB: return 2u;
    default: return 1u;
    }
}
