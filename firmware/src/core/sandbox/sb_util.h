/* What the sandbox uses from base: refusals are reported in a wm_msg (wm_msg.h), the byte,
 * string and little-endian helpers are wm_mem.h and wm_bytes.h. */
#ifndef WM_SB_UTIL_H
#define WM_SB_UTIL_H

#include "../base/wm_msg.h"
#include "wm_bytes.h"
#include "wm_mem.h"

#endif
