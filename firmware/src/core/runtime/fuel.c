/* fuel.c - instruction weights (wm_fuel.h). A weight is the cost of the instruction in the
 * slower engine (the interpreter on a Cortex-M4) in units of about one simple instruction,
 * rounded up, so that no instruction does much more work per unit than `i32.add`: the
 * figures behind each class are in docs/supervisor.md ("Fuel", measured). */
#include "wm_fuel.h"

uint32_t wm_fuel_weight(uint32_t op)
{
    if (op >= 0xFC00u) {
        switch (op & 0xFFu) {
        case 0:
        case 1:
        case 2:
        case 3: return 6u; /* saturating float -> i32 */
        case 4:
        case 5:
        case 6:
        case 7: return 10u; /* saturating float -> i64 */
        case 10:
        case 11: return 2u; /* memory.copy / fill, + their size */
        case 16:
            return 1u; /* table.size */
        /* memory.init, data.drop, table.init / drop / copy / grow / fill: + their size;
         * native code isolated by the MPU asks the runtime through its gate (~2000) */
        default: return 50u;
        }
    }
    switch (op) {
    case 0x10: return 3u;  /* call */
    case 0x11: return 4u;  /* call_indirect: table, type check */
    case 0x40: return 50u; /* memory.grow, + the bytes it zeroes (a gate trip, isolated) */
    case 0x7F:
    case 0x80:
    case 0x81:
    case 0x82: return 4u; /* i64 div/rem (a library call) */
    case 0x8D:
    case 0x8E:
    case 0x8F:
    case 0x90: return 3u; /* f32 ceil/floor/trunc/nearest */
    case 0x91:
    case 0x9F: return 60u; /* sqrt, digit by digit */
    case 0x9B:
    case 0x9C:
    case 0x9D:
    case 0x9E: return 3u; /* f64 ceil/floor/trunc/nearest */
    case 0xA0:
    case 0xA1:
    case 0xA2: return 3u;  /* f64 add/sub/mul (soft float) */
    case 0xA3: return 20u; /* f64.div (~600) */
    case 0xA4:
    case 0xA5: return 3u; /* f64 min/max */
    case 0x61:
    case 0x62:
    case 0x63:
    case 0x64:
    case 0x65:
    case 0x66: return 2u; /* f64 cmp */
    case 0xA8:
    case 0xA9:
    case 0xAA:
    case 0xAB: return 6u; /* trapping float -> i32 */
    case 0xAE:
    case 0xAF:
    case 0xB0:
    case 0xB1: return 10u; /* trapping float -> i64 */
    case 0xB4:
    case 0xB5:
    case 0xB6:
    case 0xB7:
    case 0xB8: /* conversions to/from f64 */
    case 0xB9:
    case 0xBA:
    case 0xBB: return 2u;
    default: return 1u;
    }
}

uint32_t wm_fuel_i64_const(uint32_t imm_bytes) { return imm_bytes > 2u ? imm_bytes - 2u : 0u; }
