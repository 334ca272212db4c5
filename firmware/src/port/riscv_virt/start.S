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

    /* Any trap is a firmware fault (interrupts are never enabled globally: they only
     * wake WFI); report it and reset. */
    .align 4
wm_rv_trap:
    la sp, __stack_top
    call wm_rv_fault
    j wm_rv_trap
