/* The store region's driver on the STM32L476's own flash (RM0351 "Flash program and erase
 * operations"): erase = one 2 KiB page, program = 64-bit double words, each written once
 * after an erase (its 8 ECC bits allow no second write, except of all zeros). That is the
 * store's contract (store/flash.h): every field it writes is programmed once, in its own
 * 8-byte-aligned slot. So a program call writes each double word it touches once, merging
 * the bytes it does not cover as 0xFF; asking to clear bits of a double word programmed
 * earlier (anything but zeros) fails instead of corrupting its ECC. Reads are plain memory
 * reads of the mapped region. */
#include <stddef.h>
#include <stdint.h>

#include "store/flash.h"
#include "stm32_port.h"
#include "stm32l4_regs.h"
#include "wasmote_port.h"

extern uint8_t __store_start, __store_end;

#define WM_STORE_BASE ((uint32_t)(uintptr_t)&__store_start)
#define WM_STORE_SIZE ((uint32_t)(&__store_end - &__store_start))

static void wait_idle(void)
{
    while (WM_FLASH_SR & WM_FLASH_SR_BSY) {
    }
}

/* Unlock, clear old error flags, and switch the flash caches off: a cache line may hold
 * what a page held before (and the L47x data cache can be corrupted by a read of one bank
 * while the other is written), so they are reset before they are used again. */
static uint32_t op_begin(void)
{
    uint32_t acr = WM_FLASH_ACR;
    wait_idle();
    WM_FLASH_ACR = acr & ~(WM_FLASH_ACR_ICEN | WM_FLASH_ACR_DCEN);
    if (WM_FLASH_CR & WM_FLASH_CR_LOCK) {
        WM_FLASH_KEYR = 0x45670123u;
        WM_FLASH_KEYR = 0xCDEF89ABu;
    }
    WM_FLASH_SR = WM_FLASH_SR_ERRORS | WM_FLASH_SR_EOP;
    return acr;
}

static int op_end(uint32_t acr)
{
    uint32_t sr = WM_FLASH_SR;
    WM_FLASH_CR = (WM_FLASH_CR &
                   ~(WM_FLASH_CR_PG | WM_FLASH_CR_PER | WM_FLASH_CR_PNB_MASK | WM_FLASH_CR_BKER)) |
                  WM_FLASH_CR_LOCK;
    WM_FLASH_ACR |= WM_FLASH_ACR_ICRST | WM_FLASH_ACR_DCRST; /* only while disabled */
    WM_FLASH_ACR &= ~(WM_FLASH_ACR_ICRST | WM_FLASH_ACR_DCRST);
    WM_FLASH_ACR |= acr & (WM_FLASH_ACR_ICEN | WM_FLASH_ACR_DCEN);
    WM_DSB();
    WM_ISB();
    return (sr & WM_FLASH_SR_ERRORS) ? -1 : 0;
}

static int st_read(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (addr > WM_STORE_SIZE || len > WM_STORE_SIZE - addr) {
        return -1;
    }
    const volatile uint8_t *src = (const volatile uint8_t *)(uintptr_t)(WM_STORE_BASE + addr);
    for (uint32_t i = 0; i < len; i++) {
        buf[i] = src[i];
    }
    return 0;
}

static int st_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    if (addr >= WM_STORE_SIZE || addr % WM_FLASH_PAGE != 0u) {
        return -1;
    }
    uint32_t off = WM_STORE_BASE - WM_FLASH_BASE + addr;
    uint32_t page = (off % WM_FLASH_BANK_SIZE) / WM_FLASH_PAGE;
    uint32_t bank = off >= WM_FLASH_BANK_SIZE ? WM_FLASH_CR_BKER : 0u;
    uint32_t acr = op_begin();
    WM_FLASH_CR = (WM_FLASH_CR & ~(WM_FLASH_CR_PNB_MASK | WM_FLASH_CR_BKER)) | WM_FLASH_CR_PER |
                  (page << WM_FLASH_CR_PNB_SHIFT) | bank;
    WM_FLASH_CR |= WM_FLASH_CR_STRT;
    wait_idle();
    /* ~22 ms a page: an install or compaction erasing hundreds of them in one go would
     * outlast the watchdog, though the firmware is making progress. */
    wm_port_watchdog_kick();
    return op_end(acr);
}

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int st_program(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    (void)ctx;
    if (addr > WM_STORE_SIZE || len > WM_STORE_SIZE - addr) {
        return -1;
    }
    uint32_t end = addr + len;
    int rc = 0;
    uint32_t acr = op_begin();
    for (uint32_t dw = addr & ~7u; dw < end && rc == 0; dw += 8u) {
        volatile uint32_t *cell = (volatile uint32_t *)(uintptr_t)(WM_STORE_BASE + dw);
        uint8_t now[8], want[8];
        for (uint32_t k = 0; k < 8u; k++) {
            now[k] = ((const volatile uint8_t *)cell)[k];
            want[k] = now[k];
            if (dw + k >= addr && dw + k < end) {
                want[k] &= buf[dw + k - addr];
            }
        }
        uint32_t old0 = rd_le32(now), old1 = rd_le32(now + 4);
        uint32_t new0 = rd_le32(want), new1 = rd_le32(want + 4);
        if (new0 == old0 && new1 == old1) {
            continue; /* nothing to clear */
        }
        bool erased = (old0 & old1) == 0xFFFFFFFFu;
        if (!erased && (new0 | new1) != 0u) {
            rc = -1; /* a second write of a double word: its ECC would not match */
            break;
        }
        WM_FLASH_CR |= WM_FLASH_CR_PG;
        cell[0] = new0;
        WM_ISB(); /* the two words in order, nothing between */
        cell[1] = new1;
        wait_idle();
        WM_FLASH_CR &= ~WM_FLASH_CR_PG;
        if (WM_FLASH_SR & WM_FLASH_SR_ERRORS) {
            rc = -1;
        }
    }
    int end_rc = op_end(acr);
    return rc != 0 ? rc : end_rc;
}

const struct wm_flash_ops *wm_port_flash(void)
{
    static wm_flash_ops ops;
    ops.ctx = 0;
    ops.sector_size = WM_FLASH_PAGE;
    ops.size = WM_STORE_SIZE;
    ops.mapped = &__store_start;
    ops.read = st_read;
    ops.erase = st_erase;
    ops.program = st_program;
    return &ops;
}
