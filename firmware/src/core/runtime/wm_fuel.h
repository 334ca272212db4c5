/* wm_fuel.h - what fuel costs: the weights of instructions and the rates of bulk work.
 *
 * A unit of fuel bounds work (docs/supervisor.md, "Fuel"): every instruction has a weight
 * (1 for most), the validator sums the weights of the code between two check points and
 * the check point at the end of that code charges the sum (the worst path), bulk work is
 * charged by its size before it is done. The interpreter (validate.c, interp.c) and the AOT
 * compiler (host_tools/wasmote/wasm/fuel.py, which must compute exactly the same numbers;
 * tests/runtime_unit checks the two tables are equal) charge identically.
 *
 * Native code carries these numbers compiled in: changing anything here changes what an
 * AOT package charges, so it needs a new WM_AOT_ABI_VERSION. */
#ifndef WM_FUEL_H
#define WM_FUEL_H

#include <stdint.h>

#include "wasmote.h"

/* WM_FUEL_REGION_MAX (the most any one charge may be) and WM_FUEL_HOST (a host function
 * call) are in wasmote.h: embedders need them. */
/* Function entry: frame set-up, plus one unit per WM_FUEL_LOCALS locals zeroed. */
#define WM_FUEL_ENTRY 2u
#define WM_FUEL_LOCALS 8u
/* Returning: one unit, plus one per WM_FUEL_VALUES results copied. Branches and calls
 * likewise add one unit per WM_FUEL_VALUES values they carry. */
#define WM_FUEL_RETURN 1u
#define WM_FUEL_VALUES 8u
/* Bulk work, charged before it is done: bytes per unit (memory.fill / copy / init and the
 * zeroing of memory.grow) and table elements per unit (table.fill / copy / grow, and the
 * elements table.init walks: its source offset plus its length). */
#define WM_FUEL_BYTES 8u
#define WM_FUEL_ELEMS 2u
/* The weight of one instruction: `op` is the opcode, 0xFC00 | n for the 0xFC-prefixed
 * ones (as host_tools' Instr.op). Branches, calls and returns add their values' share
 * (WM_FUEL_VALUES) on top; see validate.c. */
uint32_t wm_fuel_weight(uint32_t op);
/* What an i64.const adds for an immediate of that many bytes (the interpreter decodes a
 * long one byte by byte; up to 10 bytes, padded or not). */
uint32_t wm_fuel_i64_const(uint32_t imm_bytes);

#endif
