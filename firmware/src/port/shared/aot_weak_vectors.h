/* The weak stand-ins of core/aot's Cortex-M vectors (aot/arch/iso_thumb.S, iso_cortexm.c)
 * shared by the Cortex-M ports' start-up: an image without core/aot (the crypto bench)
 * links the port's plain handlers and no isolation. `DEFAULT` and `FAULT` name the port's
 * handlers for SVCall and the configurable faults; `TICK` is the port's SysTick handler,
 * which core/aot's tick vector calls (as wm_aot_port_tick) before it stops native code
 * stuck too long. Use once, at file scope, in the file with the vector table. */
#ifndef WM_PORT_SHARED_AOT_WEAK_VECTORS_H
#define WM_PORT_SHARED_AOT_WEAK_VECTORS_H

#define WM_AOT_WEAK_VECTORS(DEFAULT, FAULT, TICK)                                   \
    void wm_aot_svc_vector(void) __attribute__((weak, alias(#DEFAULT)));            \
    void wm_aot_fault_vector(void) __attribute__((weak, alias(#FAULT)));            \
    void wm_aot_port_tick(void);                                                    \
    void wm_aot_port_tick(void) { TICK(); }                                         \
    void wm_aot_tick_vector(void) __attribute__((weak, alias("wm_aot_port_tick"))); \
    int wm_aot_isolation_init(void) __attribute__((weak));                          \
    int wm_aot_isolation_init(void) { return 0; }                                   \
    void wm_aot_iso_firmware_fault(void)

#endif
