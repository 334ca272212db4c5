/* wm_pd.h - the pre-decoded form of a module's code (docs/predecoded.md): what the
 * translator (predecode.c) writes and the pre-decoded interpreter (interp_pd.c) runs.
 *
 * Compiled in only where the build defines WM_PREDECODE (the posix build, stage 1): the
 * firmware images do not carry it yet, so their size and behaviour are unchanged. */
#ifndef WM_PD_H
#define WM_PD_H

#include "wm_internal.h"

#define WM_PD_MAGIC 0x44504D57u /* "WMPD", read as a little-endian word */
/* Bumped whenever a handler index or an operand layout changes: a stored form of another
 * version is refused (never reinterpreted), so a firmware update cannot misread it. */
#define WM_PD_VERSION 2u
/* The header's u32 fields, then nfuncs u32 offsets of the function bodies */
#define WM_PD_AT_MAGIC 0u
#define WM_PD_AT_VERSION 4u
#define WM_PD_AT_NFUNCS 8u
#define WM_PD_AT_CODE_LEN 12u /* the module's length: a form of another module is refused */
#define WM_PD_AT_MAP 16u      /* where the trace map starts (the bodies end) */
#define WM_PD_HEADER 20u
#define WM_PD_MAX_SLOTS 65535u
#define WM_PD_STATE_SWITCH 3u /* wm_exec.state: the other engine continues the call */

/* Handler indexes that are not a wasm opcode of the same meaning (docs/predecoded.md). */
enum {
    PD_COPY = 0x01,       /* dst, src */
    PD_BRX = 0x02,        /* rel32, fuel32, from, to, n: copy n values, jump, check point */
    PD_BRX_IF = 0x03,     /* cond, then a PD_BRX payload */
    PD_BR_UNLESS = 0x04,  /* cond, rel32 (if: the false edge) */
    PD_LOOP = 0x05,       /* fuel32: a loop entered from above (its check point) */
    PD_BR = 0x0C,         /* rel32 */
    PD_BR_IF = 0x0D,      /* cond, rel32 */
    PD_BR_TABLE = 0x0E,   /* index, n32, then n + 1 PD_BRX payloads */
    PD_RETURN = 0x0F,     /* from: the results are at slots from.. */
    PD_CALL = 0x10,       /* fuel32, func32, argbase */
    PD_CALL_IND = 0x11,   /* fuel32, type32, table32, index, argbase */
    PD_SELECT = 0x1B,     /* dst, a, b, cond */
    PD_CONST32 = 0x41,    /* dst, imm32 (zero-extended, as an i32 slot) */
    PD_CONST64 = 0x42,    /* dst, imm64 */
    PD_K = 0x12,          /* 0x12..0x1A: i32 add sub mul and or xor shl shr_s shr_u with a
                          * constant: dst, a, imm32 */
    PD_BR_CMP = 0xC5,     /* 0xC5 + (op - 0x45), op an i32 compare: a[, b], rel32 (eqz: a) */
    PD_BRX_CMP = 0xF0,    /* the same with a PD_BRX payload */
    PD_SAT = 0xE0,        /* 0xE0 + n: 0xFC n (n < 8): dst, a */
    PD_BULK = 0xE8,       /* sub, top, imm32: 0xFC sub (bulk memory / table), operands in
                          * the slots up to top, immediates at imm32 in the module's code */
    PD_TABLE_SIZE = 0xE9, /* dst, table32 */
    PD_TABLE_GET = 0x25,  /* dst, index, table32 */
    PD_TABLE_SET = 0x26,  /* index, value, table32 */
};
#define PD_BRX_UNITS 7u

/* Output of a translation: a bounded, 4-aligned buffer the caller owns (RAM on posix;
 * stage 2 streams each function's part into the store). Every write is checked against cap. */
typedef struct wm_pd_out {
    uint8_t *buf;
    size_t cap, len;
} wm_pd_out;

/* Translates every function of a validated module into `out` (header, offsets, bodies).
 * scratch: working memory for the translator's stacks (no malloc). Returns WM_ERR_LIMIT
 * with a message when a function uses an instruction stage 1 does not cover or the form
 * does not fit: the module then runs in place. */
wm_err wm_pd_translate(const wm_module *m, wm_pd_out *out, void *scratch, size_t scratch_cap,
                       wm_error *err);
/* The translator's scratch for module m with at most max_blocks nested blocks per function. */
size_t wm_pd_scratch_size(const wm_module *m, uint32_t max_blocks);
/* Nesting the install-time translation supports (deeper functions: the module runs in
 * place); bounds its scratch with the module's largest stack height. */
#define WM_PD_INSTALL_BLOCKS 128u
/* Translation steps per module byte an install allows (see wm_pd_translate_in). */
#define WM_PD_INSTALL_WORK 64u
/* The most flash an install lets a form take, per module byte (past its header and
 * offsets): real programs' forms are 0.04-2.6x their module, a br_table's targets 14x
 * (1 code byte, a 14-byte branch each), so a module of B bytes could claim 14 B of the
 * store. A form that would be larger is not kept: the module runs in place. */
#define WM_PD_FORM_RATIO 4u /* wm_pd_translate_in's refusal says "4 times" */
/* wm_pd_translate into mem alone (the form at its start, scratch at its end; mem 8-byte
 * aligned): what a device does at install, in RAM it has for the install. *len: the
 * form's size, at most wm_pd_form_most(m). WM_ERR_LIMIT when form and scratch do not fit
 * in cap, or the form would be larger. */
wm_err wm_pd_translate_in(const wm_module *m, uint8_t *mem, size_t cap, size_t *len, wm_error *err);
/* wm_pd_translate_in with a form of at most `keep` bytes (what the caller can store); a
 * larger one stops there: WM_ERR_LIMIT "no room to keep its pre-decoded form". */
wm_err wm_pd_translate_kept(const wm_module *m, uint8_t *mem, size_t cap, size_t keep, size_t *len,
                            wm_error *err);
/* The largest form an install keeps for m: header, offsets, WM_PD_FORM_RATIO x its bytes. */
size_t wm_pd_form_most(const wm_module *m);
/* Checks a form's header against the module (magic, version, function count, code length,
 * every offset inside the form) and binds it: the module's functions then run pre-decoded. */
wm_err wm_pd_attach(wm_module *m, const uint8_t *form, size_t len, wm_error *err);
/* Translates into arena memory (RAM standing in for the store) and attaches; a module the
 * translator does not cover stays in place (WM_OK, m->pd NULL). */
wm_err wm_pd_attach_arena(wm_module *m, wm_arena *a, wm_error *err);

/* Bytes of a bound form (header and offsets included), and of the function bodies it was
 * translated from (the code section less its counts and local declarations). */
size_t wm_pd_form_size(const wm_module *m);
size_t wm_pd_code_size(const wm_module *m);

/* The trace map (pd_trace.c): the form's tail, one entry per instruction that can trap or
 * call, read downwards from the form's end. The translator adds entries below out->cap
 * (which shrinks; w->top is the cap it started from), then moves them above the bodies. */
typedef struct wm_pd_map {
    size_t top;
    uint32_t form, code; /* the last entry: form byte position, code offset */
} wm_pd_map;
bool wm_pd_map_add(wm_pd_out *out, wm_pd_map *w, uint32_t form_pos, uint32_t code_off);
void wm_pd_map_finish(wm_pd_out *out, wm_pd_map *w);
/* wm_pd_attach's check: every entry inside [bodies, len) and before the map (charged to
 * work, NULL: none). */
wm_err wm_pd_map_check(const uint8_t *form, size_t len, size_t bodies, wm_work *work,
                       wm_error *err);
/* The code offset the in-place path records for the instruction pc (a pointer into m's
 * form past an instruction's handler index) lies in: the trap's, or a caller's call. */
uint32_t wm_pd_code_offset(const wm_module *m, const uint8_t *pc);

/* The pre-decoded interpreter (interp_pd.c). */
wm_err wm_run_pd(wm_instance *inst, wm_error *err);

#if WM_PREDECODE
static inline const uint16_t *wm_pd_code(const wm_module *m, const wm_funcdef *d)
{
    return (const uint16_t *)(const void *)(m->pd + wm_ld32(m->pd + WM_PD_HEADER +
                                                            4u * (uint32_t)(d - m->funcs)));
}
#endif

#endif
