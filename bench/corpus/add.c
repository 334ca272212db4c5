/* Tiny: one exported function. */
#include "wm_export.h"

WM_EXPORT("add") int32_t add(int32_t a, int32_t b) { return a + b; }

WM_EXPORT("selftest") int32_t selftest(void) { return add(40, 2); }
