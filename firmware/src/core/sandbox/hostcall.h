/* What every host function of the sandbox does with its arguments (hostapi.c,
 * periph_api.c): read an i32, return an i32 result, and turn a (ptr, len) pair into a
 * pointer into the calling instance's memory only if the whole range lies inside it.
 * Short names: only the sandbox's host-function files include this. */
#ifndef WM_SB_HOSTCALL_H
#define WM_SB_HOSTCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox.h"
#include "wasmote.h"

static inline wm_err ret(wm_val *results, int32_t v)
{
    results[0].type = WM_I32;
    results[0].of.i32 = (uint32_t)v;
    return WM_OK;
}

static inline int32_t arg(const wm_val *args, uint32_t i) { return (int32_t)args[i].of.i32; }

/* [ptr, ptr+len) inside the instance's memory 0 (len >= 0 checked by the caller): the
 * API's int32 arguments through wm_sb_range (sandbox.h). */
static inline uint8_t *range(wm_instance *inst, int32_t ptr, int32_t len, bool *fault)
{
    return wm_sb_range(inst, (uint32_t)ptr, (uint32_t)len, fault);
}

#endif
