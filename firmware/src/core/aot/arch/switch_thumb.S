/* switch_thumb.S - coroutine switch for native (AOT) code on Cortex-M (Thumb-2: v7-M,
 * v7E-M, v8-M Mainline). Saves r4-r11 and, when the build uses the FPU, s16-s31 (AAPCS
 * callee-saved). Runs in thread or handler mode on the current (main) stack pointer.
 * See aot_internal.h. */
#if defined(__arm__) && defined(__thumb2__)
    .syntax unified
    .thumb
    .text

#if defined(__ARM_FP)
#define FP_BYTES 64
#else
#define FP_BYTES 0
#endif

/* void wm_aot_switch(void **save, void *to): r0 = save, r1 = to */
    .globl wm_aot_switch
    .type wm_aot_switch, %function
    .thumb_func
    .p2align 2
wm_aot_switch:
    push {r4-r11, lr}
#if defined(__ARM_FP)
    vpush {s16-s31}
#endif
    mov r2, sp
    str r2, [r0]
    mov sp, r1
#if defined(__ARM_FP)
    vpop {s16-s31}
#endif
    pop {r4-r11, pc}
    .size wm_aot_switch, .-wm_aot_switch

/* void *wm_aot_stack_init(void *top, void *arg): layout upwards [s16-s31] r4..r11 lr;
 * r4 = arg, lr = wm_aot_boot. */
    .globl wm_aot_stack_init
    .type wm_aot_stack_init, %function
    .thumb_func
    .p2align 2
wm_aot_stack_init:
    bic r0, r0, #7
    sub r0, r0, #(FP_BYTES + 40)
    movs r2, #0
    movs r3, #0
1:  str r2, [r0, r3]
    adds r3, r3, #4
    cmp r3, #(FP_BYTES + 40)
    bne 1b
    str r1, [r0, #FP_BYTES]
    ldr r2, =wm_aot_boot
    str r2, [r0, #(FP_BYTES + 32)]
    bx lr
    .ltorg
    .size wm_aot_stack_init, .-wm_aot_stack_init

    .type wm_aot_boot, %function
    .thumb_func
    .p2align 2
wm_aot_boot:
    mov r0, r4
    mov r1, sp
    bic r1, r1, #7
    mov sp, r1
    bl wm_aot_coro_main
2:  b 2b
    .size wm_aot_boot, .-wm_aot_boot
#endif
