/* RV32 start-up for QEMU virt (-bios none): the CPU starts here in M-mode. */
    /* own section name: -ffunction-sections makes ".text.<fn>" for any C function */
    .section .wm_entry, "ax"
    .globl wm_rv_start
wm_rv_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, wm_rv_trap
    csrw mtvec, t0
    /* only hart 0 runs the firmware; others park */
    csrr t0, mhartid
    bnez t0, 9f
    /* .data from its load address, .bss zeroed */
    la t0, __data_load
    la t1, __data_start
    la t2, __data_end
1:  bgeu t1, t2, 2f
    lw t3, 0(t0)
    sw t3, 0(t1)
    addi t0, t0, 4
    addi t1, t1, 4
    j 1b
2:  la t1, __bss_start
    la t2, __bss_end
3:  bgeu t1, t2, 4f
    sw zero, 0(t1)
    addi t1, t1, 4
    j 3b
4:  call wm_rv_main
9:  wfi
    j 9b

    /* Trap entry: interrupts (the 1 kHz machine timer: tick and watchdog; the UART, which
     * only wakes WFI) return here through mret with every caller-saved register restored;
     * an exception is a firmware fault and never returns. Runs on the interrupted stack. */
    .align 4
wm_rv_trap:
    addi sp, sp, -64
    sw ra, 0(sp)
    sw t0, 4(sp)
    sw t1, 8(sp)
    sw t2, 12(sp)
    sw a0, 16(sp)
    sw a1, 20(sp)
    sw a2, 24(sp)
    sw a3, 28(sp)
    sw a4, 32(sp)
    sw a5, 36(sp)
    sw a6, 40(sp)
    sw a7, 44(sp)
    sw t3, 48(sp)
    sw t4, 52(sp)
    sw t5, 56(sp)
    sw t6, 60(sp)
    csrr a0, mcause
    call wm_rv_trap_c
    lw ra, 0(sp)
    lw t0, 4(sp)
    lw t1, 8(sp)
    lw t2, 12(sp)
    lw a0, 16(sp)
    lw a1, 20(sp)
    lw a2, 24(sp)
    lw a3, 28(sp)
    lw a4, 32(sp)
    lw a5, 36(sp)
    lw a6, 40(sp)
    lw a7, 44(sp)
    lw t3, 48(sp)
    lw t4, 52(sp)
    lw t5, 56(sp)
    lw t6, 60(sp)
    addi sp, sp, 64
    mret
