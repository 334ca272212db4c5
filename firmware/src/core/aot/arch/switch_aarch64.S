/* switch_aarch64.S - coroutine switch for native (AOT) code, AAPCS64 (posix hosts on Arm).
 * Saves x19-x30 and d8-d15. See aot_internal.h. */
#if defined(__aarch64__)
    .text

/* void wm_aot_switch(void **save, void *to): x0 = save, x1 = to */
    .globl wm_aot_switch
    .type wm_aot_switch, %function
    .p2align 4
wm_aot_switch:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size wm_aot_switch, .-wm_aot_switch

/* void *wm_aot_stack_init(void *top, void *arg): x19 = arg, x30 = wm_aot_boot */
    .globl wm_aot_stack_init
    .type wm_aot_stack_init, %function
    .p2align 4
wm_aot_stack_init:
    and x0, x0, #~15
    sub x0, x0, #160
    str x1, [x0, #0]
    str xzr, [x0, #80]
    adr x2, wm_aot_boot
    str x2, [x0, #88]
    ret
    .size wm_aot_stack_init, .-wm_aot_stack_init

    .type wm_aot_boot, %function
    .p2align 4
wm_aot_boot:
    mov x0, x19
    bl wm_aot_coro_main
    brk #0
    .size wm_aot_boot, .-wm_aot_boot
#endif
#if defined(__linux__) && defined(__ELF__)
    .section .note.GNU-stack, "", %progbits
#endif
