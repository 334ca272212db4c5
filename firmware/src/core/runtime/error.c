/* error.c - error codes, names and the helper that fills a wm_error. */
#include "wm_internal.h"

const char *wm_err_name(wm_err code)
{
    switch (code) {
    case WM_OK: return "ok";
    case WM_ERR_MALFORMED: return "malformed";
    case WM_ERR_INVALID: return "invalid";
    case WM_ERR_NO_MEMORY: return "out of memory";
    case WM_ERR_UNLINKABLE: return "unlinkable";
    case WM_ERR_TRAP: return "trap";
    case WM_ERR_EXHAUSTION: return "exhaustion";
    case WM_ERR_OUT_OF_FUEL: return "out of fuel";
    case WM_ERR_NOT_FOUND: return "not found";
    case WM_ERR_ARGS: return "bad arguments";
    case WM_ERR_STATE: return "bad state";
    case WM_ERR_LIMIT: return "limit exceeded";
    case WM_ERR_BLOCKED: return "blocked";
    }
    return "unknown error";
}

wm_err wm_fail(wm_error *err, wm_err code, const uint8_t *base, const uint8_t *at, const char *msg)
{
    return wm_fail_beyond(err, code, base, at, msg, NULL);
}

wm_err wm_fail_beyond(wm_error *err, wm_err code, const uint8_t *base, const uint8_t *at,
                      const char *msg, const char *feature)
{
    if (err) {
        err->code = code;
        err->offset = (base && at && at >= base) ? (uint32_t)(at - base) : 0;
        err->msg = msg;
        err->feature = feature;
    }
    return code;
}

wm_err wm_trap_err(wm_error *err, wm_err code, const char *msg)
{
    return wm_fail(err, code, NULL, NULL, msg);
}
