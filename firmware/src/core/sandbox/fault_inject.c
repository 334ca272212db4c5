/* Fault injection for tests of the watchdog and of reset attribution: two host functions
 * that exist only in firmware built with WM_FAULT_INJECTION (the `-faults` test images),
 * never in a product build. fault_hang() spins in C forever without feeding the watchdog;
 * fault_crash() executes an invalid instruction (a CPU fault). */
#include "sandbox.h"

#ifdef WM_FAULT_INJECTION
wm_err wm_sb_fault_hang(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    (void)results;
    volatile uint32_t spin = 0;
    for (;;) {
        spin++;
    }
}

wm_err wm_sb_fault_crash(wm_instance *inst, void *user, const wm_val *args, wm_val *results)
{
    (void)inst;
    (void)user;
    (void)args;
    (void)results;
    __builtin_trap();
}
#else
typedef int wm_fault_inject_off; /* ISO C wants something in a translation unit */
#endif
