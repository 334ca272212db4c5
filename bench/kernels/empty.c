/* Baseline: does nothing, so engine start-up and call costs can be subtracted. */
#include "kernel.h"

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    return n;
}
