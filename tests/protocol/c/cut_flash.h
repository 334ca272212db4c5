/* A NOR flash in RAM whose power can be cut at any flash operation, for the store's
 * power-cut tests. Define SECTOR and NSECT before including it. `budget` operations
 * succeed, then the cut one fails - having half-applied itself when `partial` is set,
 * which is what a real cut may leave - and so does everything after it (`dead`). */
#ifndef WM_TEST_CUT_FLASH_H
#define WM_TEST_CUT_FLASH_H

#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t mem[SECTOR * NSECT];
    long budget; /* flash ops left before the cut; <0 = unlimited */
    int dead;    /* power is off: everything fails */
    int partial; /* does the cut operation leave partial effects? */
    long ops;    /* operations attempted (counts the cut points) */
} sim_flash;

static int sim_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    sim_flash *f = ctx;
    if (f->dead || addr > sizeof f->mem || len > sizeof f->mem - addr) {
        return -1;
    }
    memcpy(buf, f->mem + addr, len);
    return 0;
}

/* Returns 1 if this op is cut. */
static int sim_cut(sim_flash *f)
{
    f->ops++;
    if (f->dead) {
        return 1;
    }
    if (f->budget < 0) {
        return 0;
    }
    if (f->budget == 0) {
        f->dead = 1;
        return 1;
    }
    f->budget--;
    return 0;
}

static int sim_erase(void *ctx, uint32_t addr)
{
    sim_flash *f = ctx;
    if (addr % SECTOR != 0 || addr >= sizeof f->mem) {
        return -1;
    }
    if (sim_cut(f)) {
        memset(f->mem + addr, 0xFF, f->partial ? SECTOR / 3 : 0); /* a partial erase */
        return -1;
    }
    memset(f->mem + addr, 0xFF, SECTOR);
    return 0;
}

static int sim_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    sim_flash *f = ctx;
    if (addr > sizeof f->mem || len > sizeof f->mem - addr) {
        return -1;
    }
    if (sim_cut(f)) {
        /* a partial program: the first half of the bytes, then one byte half-way */
        uint32_t half = f->partial ? len / 2 : 0;
        for (uint32_t i = 0; i < half; i++) {
            f->mem[addr + i] &= buf[i];
        }
        if (f->partial && half < len) {
            f->mem[addr + half] &= (uint8_t)(buf[half] | 0xF0u);
        }
        return -1;
    }
    for (uint32_t i = 0; i < len; i++) {
        f->mem[addr + i] &= buf[i]; /* NOR: programming only clears bits */
    }
    return 0;
}

#endif
