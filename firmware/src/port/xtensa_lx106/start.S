/* Xtensa LX106 start-up and exception vectors for QEMU's lx60 board (call0 ABI, XEA2).
 * The CPU resets at 0x50000000, the first byte of the image; the vectors sit at VECBASE. */

/* own section name: -ffunction-sections makes ".text.<fn>" for any C function */
    .section .wm_entry, "ax"
    .globl wm_xt_reset
    .align 4
wm_xt_reset:
    j 1f
    .align 4
.Lstart:
    .word wm_xt_start
1:  l32r a0, .Lstart   /* L32R reaches only backwards: the literal sits just above */
    jx a0

    .text
    .align 4
    .globl wm_xt_start
    .type wm_xt_start, @function
wm_xt_start:
    movi a0, 0
    movi a1, __stack_top
    movi a2, wm_xt_vectors
    wsr a2, vecbase
    movi a2, 0
    wsr a2, intenable
    /* .data from its load address, .bss zeroed */
    movi a2, __data_load
    movi a3, __data_start
    movi a4, __data_end
1:  bgeu a3, a4, 2f
    l32i a5, a2, 0
    s32i a5, a3, 0
    addi a2, a2, 4
    addi a3, a3, 4
    j 1b
2:  movi a3, __bss_start
    movi a4, __bss_end
3:  bgeu a3, a4, 4f
    s32i a0, a3, 0
    addi a3, a3, 4
    j 3b
    /* PS: user vector mode (level-1 interrupts and exceptions go to the user vector),
     * EXCM clear, interrupts still masked (INTLEVEL 15) until the port enables them */
4:  movi a2, 0x2F
    wsr a2, ps
    rsync
    call0 wm_xt_main
5:  j 5b
    .size wm_xt_start, .-wm_xt_start

/* Vectors: VECBASE must be 1 KiB aligned. Slots are a few bytes each: jump on. */
    .section .wm_vectors, "ax"
    .align 1024
    .globl wm_xt_vectors
wm_xt_vectors:
    .org wm_xt_vectors + 0x10  /* level 2: debug */
    j wm_xt_fatal_vec
    .org wm_xt_vectors + 0x20  /* level 3: NMI */
    j wm_xt_fatal_vec
    .org wm_xt_vectors + 0x30  /* kernel: only while PS.UM is clear, i.e. a firmware bug */
    j wm_xt_fatal_vec
    .org wm_xt_vectors + 0x50  /* user: level-1 interrupts and exceptions */
    j wm_xt_user_vec
    .org wm_xt_vectors + 0x70  /* double exception */
    j wm_xt_fatal_vec

    .align 4
wm_xt_fatal_vec:
    movi a2, 99
    rsr a3, epc1
    rsr a4, excvaddr
    call0 wm_xt_fault_c
6:  j 6b

/* Level-1 interrupts (the 1 kHz CCOMPARE0 tick and watchdog; the UART, which only ends a
 * WAITI) return through RFE with every register restored; any exception is a firmware
 * fault and never returns. Runs on the interrupted stack with PS.EXCM set (no nesting). */
#define FRAME 80
    .align 4
wm_xt_user_vec:
    addi a1, a1, -FRAME
    s32i a0, a1, 0
    s32i a2, a1, 8
    s32i a3, a1, 12
    s32i a4, a1, 16
    s32i a5, a1, 20
    s32i a6, a1, 24
    s32i a7, a1, 28
    s32i a8, a1, 32
    s32i a9, a1, 36
    s32i a10, a1, 40
    s32i a11, a1, 44
    s32i a12, a1, 48
    s32i a13, a1, 52
    s32i a14, a1, 56
    s32i a15, a1, 60
    rsr a2, sar
    s32i a2, a1, 64
    rsr a2, epc1
    s32i a2, a1, 68
    rsr a2, exccause
    movi a3, 4            /* EXCCAUSE 4: level-1 interrupt */
    beq a2, a3, 7f
    rsr a3, epc1
    rsr a4, excvaddr
    call0 wm_xt_fault_c   /* does not return */
7:  call0 wm_xt_irq_c
    l32i a2, a1, 68
    wsr a2, epc1
    l32i a2, a1, 64
    wsr a2, sar
    l32i a0, a1, 0
    l32i a2, a1, 8
    l32i a3, a1, 12
    l32i a4, a1, 16
    l32i a5, a1, 20
    l32i a6, a1, 24
    l32i a7, a1, 28
    l32i a8, a1, 32
    l32i a9, a1, 36
    l32i a10, a1, 40
    l32i a11, a1, 44
    l32i a12, a1, 48
    l32i a13, a1, 52
    l32i a14, a1, 56
    l32i a15, a1, 60
    addi a1, a1, FRAME
    rsync
    rfe
