/* switch_x86_64.S - coroutine switch for native (AOT) code, System V x86-64 (posix hosts).
 * See aot_internal.h: wm_aot_switch(save, to) / wm_aot_stack_init(top, arg). */
#if defined(__x86_64__) && !defined(_WIN32)
    .text

/* void wm_aot_switch(void **save, void *to): rdi = save, rsi = to */
    .globl wm_aot_switch
    .type wm_aot_switch, @function
    .p2align 4
wm_aot_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size wm_aot_switch, .-wm_aot_switch

/* void *wm_aot_stack_init(void *top, void *arg): a frame that wm_aot_switch "returns" from
 * into wm_aot_boot with rbx = arg. Layout upwards: r15 r14 r13 r12 rbx rbp, return address. */
    .globl wm_aot_stack_init
    .type wm_aot_stack_init, @function
    .p2align 4
wm_aot_stack_init:
    andq $-16, %rdi
    leaq wm_aot_boot(%rip), %rax
    movq %rax, -16(%rdi)
    movq $0, -24(%rdi)          /* rbp */
    movq %rsi, -32(%rdi)        /* rbx = arg */
    movq $0, -40(%rdi)
    movq $0, -48(%rdi)
    movq $0, -56(%rdi)
    movq $0, -64(%rdi)
    leaq -64(%rdi), %rax
    ret
    .size wm_aot_stack_init, .-wm_aot_stack_init

    .type wm_aot_boot, @function
    .p2align 4
wm_aot_boot:
    movq %rbx, %rdi
    andq $-16, %rsp
    call wm_aot_coro_main
    ud2
    .size wm_aot_boot, .-wm_aot_boot
#endif
#if defined(__linux__) && defined(__ELF__)
    .section .note.GNU-stack, "", @progbits
#endif
