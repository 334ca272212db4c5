/* switch_xtensa_call0.S - coroutine switch for native (AOT) code on Xtensa cores with the
 * call0 ABI (the LX106 of the ESP8266): a0 (return address) and a12-a15 are callee-saved,
 * a1 is the stack pointer, 16-byte aligned. No register windows to spill, no FPU.
 * See aot_internal.h. */
#if defined(__XTENSA__) && defined(__XTENSA_CALL0_ABI__)
    .text

#define FRAME 32

/* void wm_aot_switch(void **save, void *to): a2 = save, a3 = to */
    .globl wm_aot_switch
    .type wm_aot_switch, @function
    .align 4
wm_aot_switch:
    addi a1, a1, -FRAME
    s32i a0, a1, 0
    s32i a12, a1, 4
    s32i a13, a1, 8
    s32i a14, a1, 12
    s32i a15, a1, 16
    s32i a1, a2, 0
    mov a1, a3
    l32i a0, a1, 0
    l32i a12, a1, 4
    l32i a13, a1, 8
    l32i a14, a1, 12
    l32i a15, a1, 16
    addi a1, a1, FRAME
    ret
    .size wm_aot_switch, .-wm_aot_switch

/* void *wm_aot_stack_init(void *top, void *arg): a0 = wm_aot_boot, a12 = arg */
    .globl wm_aot_stack_init
    .type wm_aot_stack_init, @function
    .align 4
wm_aot_stack_init:
    movi a4, -16
    and a2, a2, a4
    addi a2, a2, -FRAME
    movi a4, 0
    movi a5, 0
1:  add a6, a2, a5
    s32i a4, a6, 0
    addi a5, a5, 4
    movi a6, FRAME
    bne a5, a6, 1b
    movi a4, wm_aot_boot
    s32i a4, a2, 0
    s32i a3, a2, 4
    ret
    .size wm_aot_stack_init, .-wm_aot_stack_init

    .type wm_aot_boot, @function
    .align 4
wm_aot_boot:
    mov a2, a12
    movi a0, wm_aot_coro_main
    callx0 a0
2:  j 2b
    .size wm_aot_boot, .-wm_aot_boot
#endif
