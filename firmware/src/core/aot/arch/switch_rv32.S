/* switch_rv32.S - coroutine switch for native (AOT) code on 32-bit RISC-V (ilp32; with
 * the F/D extension also fs0-fs11). See aot_internal.h. */
#if defined(__riscv) && __riscv_xlen == 32
    .text

#if defined(__riscv_flen) && __riscv_flen == 64
#define FSAVE(r, o) fsd r, o(sp)
#define FLOAD(r, o) fld r, o(sp)
#define FRAME 160
#elif defined(__riscv_flen) && __riscv_flen == 32
#define FSAVE(r, o) fsw r, o(sp)
#define FLOAD(r, o) flw r, o(sp)
#define FRAME 112
#else
#define FRAME 64
#endif

/* void wm_aot_switch(void **save, void *to): a0 = save, a1 = to */
    .globl wm_aot_switch
    .type wm_aot_switch, @function
    .p2align 2
wm_aot_switch:
    addi sp, sp, -FRAME
    sw ra, 0(sp)
    sw s0, 4(sp)
    sw s1, 8(sp)
    sw s2, 12(sp)
    sw s3, 16(sp)
    sw s4, 20(sp)
    sw s5, 24(sp)
    sw s6, 28(sp)
    sw s7, 32(sp)
    sw s8, 36(sp)
    sw s9, 40(sp)
    sw s10, 44(sp)
    sw s11, 48(sp)
#if defined(FSAVE)
#if __riscv_flen == 64
    FSAVE(fs0, 64)
    FSAVE(fs1, 72)
    FSAVE(fs2, 80)
    FSAVE(fs3, 88)
    FSAVE(fs4, 96)
    FSAVE(fs5, 104)
    FSAVE(fs6, 112)
    FSAVE(fs7, 120)
    FSAVE(fs8, 128)
    FSAVE(fs9, 136)
    FSAVE(fs10, 144)
    FSAVE(fs11, 152)
#else
    FSAVE(fs0, 64)
    FSAVE(fs1, 68)
    FSAVE(fs2, 72)
    FSAVE(fs3, 76)
    FSAVE(fs4, 80)
    FSAVE(fs5, 84)
    FSAVE(fs6, 88)
    FSAVE(fs7, 92)
    FSAVE(fs8, 96)
    FSAVE(fs9, 100)
    FSAVE(fs10, 104)
    FSAVE(fs11, 108)
#endif
#endif
    sw sp, 0(a0)
    mv sp, a1
#if defined(FLOAD)
#if __riscv_flen == 64
    FLOAD(fs0, 64)
    FLOAD(fs1, 72)
    FLOAD(fs2, 80)
    FLOAD(fs3, 88)
    FLOAD(fs4, 96)
    FLOAD(fs5, 104)
    FLOAD(fs6, 112)
    FLOAD(fs7, 120)
    FLOAD(fs8, 128)
    FLOAD(fs9, 136)
    FLOAD(fs10, 144)
    FLOAD(fs11, 152)
#else
    FLOAD(fs0, 64)
    FLOAD(fs1, 68)
    FLOAD(fs2, 72)
    FLOAD(fs3, 76)
    FLOAD(fs4, 80)
    FLOAD(fs5, 84)
    FLOAD(fs6, 88)
    FLOAD(fs7, 92)
    FLOAD(fs8, 96)
    FLOAD(fs9, 100)
    FLOAD(fs10, 104)
    FLOAD(fs11, 108)
#endif
#endif
    lw ra, 0(sp)
    lw s0, 4(sp)
    lw s1, 8(sp)
    lw s2, 12(sp)
    lw s3, 16(sp)
    lw s4, 20(sp)
    lw s5, 24(sp)
    lw s6, 28(sp)
    lw s7, 32(sp)
    lw s8, 36(sp)
    lw s9, 40(sp)
    lw s10, 44(sp)
    lw s11, 48(sp)
    addi sp, sp, FRAME
    ret
    .size wm_aot_switch, .-wm_aot_switch

/* void *wm_aot_stack_init(void *top, void *arg): ra = wm_aot_boot, s0 = arg */
    .globl wm_aot_stack_init
    .type wm_aot_stack_init, @function
    .p2align 2
wm_aot_stack_init:
    andi a0, a0, -16
    addi a0, a0, -FRAME
    li t1, 0
1:  add t2, a0, t1
    sw zero, 0(t2)
    addi t1, t1, 4
    li t2, FRAME
    bne t1, t2, 1b
    lla t0, wm_aot_boot
    sw t0, 0(a0)
    sw a1, 4(a0)
    ret
    .size wm_aot_stack_init, .-wm_aot_stack_init

    .type wm_aot_boot, @function
    .p2align 2
wm_aot_boot:
    mv a0, s0
    andi sp, sp, -16
    call wm_aot_coro_main
2:  j 2b
    .size wm_aot_boot, .-wm_aot_boot
#endif
