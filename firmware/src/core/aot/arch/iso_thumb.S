/* iso_thumb.S - the switches of isolated native code on Cortex-M (v7-M, v7E-M, v8-M
 * Mainline; see iso_cortexm.c for the privilege model, aot_iso.c for the services):
 *
 * - the gate: the services table native code calls through and its stubs, one aligned
 *   256-byte block, the only firmware code native code can execute. A stub puts the service
 *   number in r12 and makes a supervisor call; the runtime's answer comes back in r0.
 * - wm_aot_svc_vector (SVCall): from the runtime (privileged, main stack) it saves the
 *   runtime's callee-saved registers on the main stack, loads the native side's, turns the
 *   MPU on, drops privilege and returns into native code on its process stack; from native
 *   code (unprivileged, process stack, called from the gate) it saves the native side's
 *   registers in its run record, turns the MPU off and returns into the runtime.
 * - wm_aot_fault_vector (MemManage, BusFault, UsageFault): a fault of unprivileged native
 *   code becomes a trap of its run (the runtime continues as if it had parked and never
 *   switches back in); any other fault is the firmware's (wm_aot_iso_firmware_fault).
 * - wm_aot_tick_vector (SysTick): the port's tick (wm_aot_port_tick), then native code that
 *   has not come back for WM_AOT_ISO_STUCK_TICKS is ended the same way (wm_aot_iso_tick).
 *
 * Offsets of wm_aot_iso_cpu (aot_internal.h). */
#if defined(__arm__) && defined(__thumb2__) && \
    (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__))
    .syntax unified
    .thumb

#define CPU_PSP 0
#define CPU_EXC 4
#define CPU_RTMSP 8
#define CPU_STATUS 12
#define CPU_IPSR 16
#define CPU_CFSR 20
#define CPU_MMFAR 24
#define CPU_BFAR 28
#define CPU_R4 32
#define CPU_S16 64

#define ISO_SERVICE 1
#define ISO_FAULT 2
#define ISO_BAD_SVC 3
#define ISO_STUCK 4

#define MPU_CTRL 0xE000ED94
#define SCB_CFSR 0xE000ED28
#define FPCCR 0xE000EF34

/* ---- the gate ---------------------------------------------------------------------------- */
    .section .text.wm_aot_gate, "ax", %progbits
    .p2align 8
    .globl wm_aot_gate_start
wm_aot_gate_start:
    .globl wm_aot_iso_gate
    .type wm_aot_iso_gate, %object
wm_aot_iso_gate: /* wm_aot_rt, in its member order (= WM_AOT_SVC_*) */
    .word g_trap, g_refuel, g_call, g_call_ref, g_mem_grow, g_mem_init
    .word g_data_drop, g_table_init, g_elem_drop, g_table_copy, g_table_grow, g_table_fill
    .size wm_aot_iso_gate, .-wm_aot_iso_gate

    .macro STUB name, n
    .type \name, %function
    .thumb_func
\name:
    mov.w ip, #\n
    svc #0
    bx lr
    .size \name, .-\name
    .endm

    .p2align 3
    STUB g_trap, 0
    STUB g_refuel, 1
    STUB g_call, 2
    STUB g_call_ref, 3
    STUB g_mem_grow, 4
    STUB g_mem_init, 5
    STUB g_data_drop, 6
    STUB g_table_init, 7
    STUB g_elem_drop, 8
    STUB g_table_copy, 9
    STUB g_table_grow, 10
    STUB g_table_fill, 11

/* the entry function returns here (WM_AOT_SVC_DONE); never switched back into */
    .globl wm_aot_gate_done
    .type wm_aot_gate_done, %function
    .thumb_func
wm_aot_gate_done:
    mov.w ip, #12
    svc #0
1:  b 1b
    .size wm_aot_gate_done, .-wm_aot_gate_done
    .globl wm_aot_gate_end
wm_aot_gate_end:
    .p2align 8

/* ---- the switches -------------------------------------------------------------------------- */
    .text

/* void wm_aot_iso_svc_enter(wm_aot_iso_cpu *cpu): runs native code until it comes back */
    .globl wm_aot_iso_svc_enter
    .type wm_aot_iso_svc_enter, %function
    .thumb_func
    .p2align 2
wm_aot_iso_svc_enter:
    svc #0
    bx lr
    .size wm_aot_iso_svc_enter, .-wm_aot_iso_svc_enter

    .globl wm_aot_svc_vector
    .type wm_aot_svc_vector, %function
    .thumb_func
    .p2align 2
wm_aot_svc_vector:
    tst lr, #4
    bne .Lfrom_psp
    /* from the runtime: privileged thread mode on the main stack */
    mrs r1, control
    tst r1, #1
    bne .Lfirmware
    ldr r0, [sp]                 /* the frame's r0: the run's wm_aot_iso_cpu */
    push {r3-r11, lr}            /* the runtime's registers and EXC_RETURN (8-aligned) */
#if defined(__ARM_FP)
    vpush {s16-s31}
#endif
    mov r1, sp
    str r1, [r0, #CPU_RTMSP]
    ldr r1, =wm_aot_iso_cur
    str r0, [r1]
    add r1, r0, #CPU_R4
    ldm r1, {r4-r11}
#if defined(__ARM_FP)
    add r1, r0, #CPU_S16
    vldm r1, {s16-s31}
#endif
    ldr r1, [r0, #CPU_PSP]
    msr psp, r1
    ldr r1, =MPU_CTRL
    movs r2, #5                  /* ENABLE | PRIVDEFENA */
    str r2, [r1]
    mrs r1, control
    orr r1, r1, #1               /* nPRIV: thread mode is unprivileged from the return on */
    msr control, r1
    dsb
    isb
    ldr lr, [r0, #CPU_EXC]
    bx lr

.Lfrom_psp:
    /* from native code: unprivileged thread mode on its process stack */
    ldr r1, =wm_aot_iso_cur
    ldr r0, [r1]
    cmp r0, #0
    beq .Lfirmware
    mrs r1, control
    tst r1, #1
    beq .Lfirmware
    mrs r2, psp
    ldr r3, [r2, #24]            /* where it called from: right after an svc of the gate */
    ldr r1, =wm_aot_gate_start
    cmp r3, r1
    bls .Lbad_svc
    ldr r1, =wm_aot_gate_end
    cmp r3, r1
    bhi .Lbad_svc
    str r2, [r0, #CPU_PSP]
    str lr, [r0, #CPU_EXC]
    add r1, r0, #CPU_R4
    stm r1, {r4-r11}
#if defined(__ARM_FP)
    add r1, r0, #CPU_S16
    vstm r1, {s16-s31}           /* (lazily stacked FP state goes to its frame first) */
#endif
    movs r1, #ISO_SERVICE
    str r1, [r0, #CPU_STATUS]
    b .Lto_runtime

.Lbad_svc:
    movs r1, #ISO_BAD_SVC
    str r1, [r0, #CPU_STATUS]
    b .Lto_runtime_discard

/* An exception taken from native code: from the process stack, in thread mode, while a
 * run's native code was on the CPU, unprivileged. Leaves r0 = that run's wm_aot_iso_cpu;
 * otherwise branches to `other`. Uses lr (EXC_RETURN) and r1. */
    .macro NATIVE_ON_CPU other
    tst lr, #4
    beq \other
    tst lr, #8
    beq \other
    ldr r1, =wm_aot_iso_cur
    ldr r0, [r1]
    cmp r0, #0
    beq \other
    mrs r1, control
    tst r1, #1
    beq \other
    .endm

/* The tick: the port's handler first, then native code stuck for too long becomes a trap. */
    .globl wm_aot_tick_vector
    .type wm_aot_tick_vector, %function
    .thumb_func
    .p2align 2
wm_aot_tick_vector:
    push {r4, lr}                /* (r4: 8-byte alignment) */
    bl wm_aot_port_tick
    bl wm_aot_iso_tick
    pop {r4, lr}
    cmp r0, #0
    beq .Ltick_done
    NATIVE_ON_CPU .Ltick_done
    movs r1, #ISO_STUCK
    str r1, [r0, #CPU_STATUS]
    b .Lto_runtime_discard
.Ltick_done:
    bx lr
    .size wm_aot_tick_vector, .-wm_aot_tick_vector

/* A fault: of native code, a trap of its run; otherwise the firmware's. */
    .globl wm_aot_fault_vector
    .type wm_aot_fault_vector, %function
    .thumb_func
    .p2align 2
wm_aot_fault_vector:
    NATIVE_ON_CPU .Lfirmware
    mrs r1, ipsr
    ubfx r1, r1, #0, #9
    str r1, [r0, #CPU_IPSR]
    ldr r2, =SCB_CFSR
    ldr r1, [r2]
    str r1, [r0, #CPU_CFSR]
    ldr r3, [r2, #12]            /* MMFAR */
    str r3, [r0, #CPU_MMFAR]
    ldr r3, [r2, #16]            /* BFAR */
    str r3, [r0, #CPU_BFAR]
    str r1, [r2]                 /* clear what was reported (write one to clear) */
    movs r1, #ISO_FAULT
    str r1, [r0, #CPU_STATUS]
    /* fall through */

/* Back to the runtime (r0 = the run's wm_aot_iso_cpu): the native side's registers are not
 * kept, nor any FP state it left to be stacked lazily. */
.Lto_runtime_discard:
#if defined(__ARM_FP)
    ldr r1, =FPCCR
    ldr r2, [r1]
    bic r2, r2, #1               /* LSPACT */
    str r2, [r1]
#endif
.Lto_runtime:
    movs r1, #0
    ldr r2, =wm_aot_iso_cur
    str r1, [r2]
    ldr r2, =MPU_CTRL
    str r1, [r2]                 /* MPU off: firmware code runs on the default map */
    mrs r1, control
    bic r1, r1, #1               /* privileged thread mode again */
    msr control, r1
    dsb
    isb
    ldr r1, [r0, #CPU_RTMSP]
    mov sp, r1
#if defined(__ARM_FP)
    vpop {s16-s31}
#endif
    pop {r3-r11, lr}
    bx lr                        /* into wm_aot_iso_svc_enter, after its svc */

.Lfirmware:
    b wm_aot_iso_firmware_fault
    .ltorg
    .size wm_aot_fault_vector, .-wm_aot_fault_vector

/* The port's handler of a firmware fault (report and reset); this default only stops. */
    .weak wm_aot_iso_firmware_fault
    .type wm_aot_iso_firmware_fault, %function
    .thumb_func
wm_aot_iso_firmware_fault:
    b wm_aot_iso_firmware_fault
    .size wm_aot_iso_firmware_fault, .-wm_aot_iso_firmware_fault
#endif
