/* The entry of CoreMark for every engine (bench/workloads.py): run(n) runs CoreMark's own
 * main() (core_main.c, compiled with -Dmain=coremark_main) for n iterations of the 2K
 * performance run and returns
 *
 *     (crcfinal << 1) | (main printed "Correct operation validated")
 *
 * CoreMark reports through ee_printf: this one prints nothing and keeps the two facts the
 * bench needs (the list, matrix and state CRCs were checked against CoreMark's known
 * values by main itself). */
#include <stdarg.h>

#include "coremark.h"
#include "kernel.h"

extern volatile ee_s32 seed4_volatile;
int coremark_main(void);

static uint32_t crcfinal, validated;

static int prefix(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++) return 0;
    return 1;
}

int ee_printf(const char *fmt, ...)
{
    if (prefix(fmt, "Correct operation validated")) {
        validated = 1;
    } else if (prefix(fmt, "[%d]crcfinal")) {
        va_list ap;
        va_start(ap, fmt);
        (void)va_arg(ap, int);
        crcfinal = (uint32_t)va_arg(ap, int) & 0xffffu;
        va_end(ap);
    }
    return 0;
}

KERNEL_EXPORT uint32_t run(uint32_t n)
{
    seed4_volatile = (ee_s32)n;
    crcfinal = 0;
    validated = 0;
    coremark_main();
    return (crcfinal << 1) | validated;
}
