/* FAKE STM32L476 flash controller + a store/config-area workout, for host tests only.
 *
 * The 1 MiB main flash is host memory mapped read-only at its real address (0x08000000),
 * so the port's driver runs unchanged; a write to it faults once per host page, the handler
 * makes that page writable and notes it. At every status-register read (the driver reads
 * it after each operation) the model checks the noted pages for what the real part would
 * refuse or corrupt, then write-protects them again:
 *   - a double word written while PG is off, or with the flash locked;
 *   - a double word written twice after an erase (its ECC forbids it), unless with zeros;
 *   - an erase without PER, or of the image bank;
 *   - the flash caches left on during an operation.
 * Then it runs the real module store and config area (core/store, core/sandbox/kv) over
 * the driver, as the device does: usage: fake_flash CHUNK (the push chunk size). Prints
 * one summary line; exit 0 when the model saw no violation and every read-back matched. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crypto/sha256.h"
#include "harness.h"
#include "sandbox/kv.h"
#include "sandbox/sb_api.h"
#include "store/flash.h"
#include "store/flash_window.h"
#include "store/store.h"
#include "stm32l4_regs.h"
#include "wasmote_port.h"

#define MAIN_SIZE (2u * WM_FLASH_BANK_SIZE)
#define KV_SIZE (64u * 1024u)
#define KV_SETS 400u /* ~180-byte records: the 32 KiB banks switch twice */

volatile uint32_t wm_fake_flash_acr = WM_FLASH_ACR_ICEN | WM_FLASH_ACR_DCEN;
volatile uint32_t wm_fake_flash_keyr;
volatile uint32_t wm_fake_flash_cr = WM_FLASH_CR_LOCK;
static volatile uint32_t sr_cell;
static uint32_t sr_state, sr_placed;
static uint8_t *mem;
static uint8_t shadow[MAIN_SIZE];
static unsigned violations, erases, programs, kicks;

/* The driver kicks the watchdog after each (long) page erase. */
void wm_port_watchdog_kick(void) { kicks++; }
static uintptr_t host_page;
static volatile sig_atomic_t ndirty;
static uintptr_t dirty[64];

static void on_write_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (a < WM_FLASH_BASE || a >= WM_FLASH_BASE + MAIN_SIZE || ndirty == 64) {
        signal(sig, SIG_DFL); /* not ours: crash as usual when the access is retried */
        return;
    }
    uintptr_t pg = a & ~(host_page - 1u);
    mprotect((void *)pg, host_page, PROT_READ | PROT_WRITE);
    dirty[ndirty++] = pg;
}

static void set_writable(uintptr_t pg, uintptr_t len, bool rw)
{
    if (mprotect((void *)pg, len, rw ? PROT_READ | PROT_WRITE : PROT_READ) != 0) {
        perror("mprotect");
        exit(2);
    }
}

static void violation(const char *what, uint32_t off)
{
    if (violations++ < 10) {
        fprintf(stderr, "violation: %s at 0x%08x\n", what, (unsigned)(WM_FLASH_BASE + off));
    }
}

volatile uint32_t *wm_fake_flash_sr(void)
{
    uint32_t cr = wm_fake_flash_cr;
    if (sr_cell != sr_placed) { /* the driver wrote SR: write-1-to-clear */
        sr_state &= ~sr_cell;
    }
    if (wm_fake_flash_keyr == 0xCDEF89ABu) {
        cr &= ~WM_FLASH_CR_LOCK;
        wm_fake_flash_keyr = 0;
    }
    bool busy_op = (cr & (WM_FLASH_CR_STRT | WM_FLASH_CR_PG)) != 0;
    if (busy_op && (wm_fake_flash_acr & (WM_FLASH_ACR_ICEN | WM_FLASH_ACR_DCEN))) {
        violation("flash cache on during an operation", 0);
    }
    if (cr & WM_FLASH_CR_STRT) {
        uint32_t page = (cr & WM_FLASH_CR_PNB_MASK) >> WM_FLASH_CR_PNB_SHIFT;
        uint32_t off = ((cr & WM_FLASH_CR_BKER) ? WM_FLASH_BANK_SIZE : 0u) + page * WM_FLASH_PAGE;
        if (!(cr & WM_FLASH_CR_PER) || (cr & WM_FLASH_CR_LOCK)) {
            violation("erase without PER or while locked", off);
            sr_state |= 1u << 7; /* PGSERR */
        } else if (off < WM_FLASH_BANK_SIZE) {
            violation("erase of the image bank", off);
        } else {
            uintptr_t pg = (uintptr_t)(mem + off) & ~(host_page - 1u);
            set_writable(pg, host_page, true);
            memset(mem + off, 0xFF, WM_FLASH_PAGE);
            set_writable(pg, host_page, false);
            memset(shadow + off, 0xFF, WM_FLASH_PAGE);
            erases++;
        }
        cr &= ~WM_FLASH_CR_STRT;
    }
    for (sig_atomic_t d = 0; d < ndirty; d++) {
        uint32_t pg = (uint32_t)(dirty[d] - WM_FLASH_BASE);
        for (uint32_t dw = pg; dw < pg + host_page; dw += 8u) {
            uint64_t now, was;
            memcpy(&now, mem + dw, 8);
            memcpy(&was, shadow + dw, 8);
            if (now == was) {
                continue;
            }
            if (!(cr & WM_FLASH_CR_PG) || (cr & WM_FLASH_CR_LOCK)) {
                violation("double word written outside a program operation", dw);
            } else if (was != UINT64_MAX && now != 0u) {
                violation("double word programmed twice (ECC)", dw);
                sr_state |= 1u << 3; /* PROGERR */
            } else if ((now & ~was) != 0u) {
                violation("program set bits", dw);
            }
            programs++;
            memcpy(shadow + dw, &now, 8);
        }
        set_writable(dirty[d], host_page, false);
    }
    ndirty = 0;
    wm_fake_flash_cr = cr;
    sr_placed = sr_state;
    sr_cell = sr_state;
    return &sr_cell;
}

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static uint8_t image[40000];

/* A push as the protocol does it: begin, chunks in order, commit. */
static int push(wm_store *st, const char *name, uint32_t size, uint32_t seed, uint32_t chunk)
{
    uint8_t sha[32];
    fill(image, size, seed);
    wm_sha256(image, size, sha);
    int rc = wm_store_begin(st, name, size, sha, 0);
    for (uint32_t off = 0; rc == WM_STORE_OK && off < size; off += chunk) {
        rc = wm_store_write(st, off, image + off, size - off < chunk ? size - off : chunk);
    }
    if (rc == WM_STORE_OK) {
        rc = wm_store_commit(st, NULL, NULL, NULL);
    } else {
        wm_store_abort(st);
    }
    return rc;
}

static bool holds(const wm_store *st, const char *name, uint32_t size, uint32_t seed)
{
    uint32_t i;
    uint8_t buf[256];
    if (wm_store_find(st, name, &i) != WM_STORE_OK) {
        return false;
    }
    fill(image, size, seed);
    for (uint32_t off = 0; off < size; off += sizeof buf) {
        uint32_t n = size - off < sizeof buf ? size - off : (uint32_t)sizeof buf;
        if (wm_store_read(st, i, off, buf, n) != WM_STORE_OK || memcmp(buf, image + off, n)) {
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv)
{
    uint32_t chunk = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1024u;
    mem = mmap((void *)(uintptr_t)WM_FLASH_BASE, MAIN_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (mem != (uint8_t *)(uintptr_t)WM_FLASH_BASE) {
        perror("mmap at the flash address");
        return 2;
    }
    memset(mem, 0xFF, MAIN_SIZE); /* a new part: erased */
    memset(shadow, 0xFF, MAIN_SIZE);
    host_page = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_write_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    set_writable(WM_FLASH_BASE, MAIN_SIZE, false);

    const wm_flash_ops *flash = wm_port_flash();
    static wm_flash_window store_win, kv_win;
    EXPECT(wm_flash_window_init(&store_win, flash, 0, flash->size - KV_SIZE) == 0, "window");
    EXPECT(wm_flash_window_init(&kv_win, flash, flash->size - KV_SIZE, KV_SIZE) == 0, "window");

    /* the module store: installs, a replace, a removal, compaction, a remount */
    static wm_store st;
    EXPECT(wm_store_mount(&st, &store_win.ops) == WM_STORE_OK, "mount");
    EXPECT(push(&st, "a", 700, 1, 1024) == WM_STORE_OK, "push a");
    EXPECT(push(&st, "b", 5000, 2, 1024) == WM_STORE_OK, "push b");
    EXPECT(push(&st, "c", 30001, 3, 1024) == WM_STORE_OK, "push c");
    EXPECT(push(&st, "b", 6144, 4, 1024) == WM_STORE_OK, "replace b");
    EXPECT(wm_store_remove(&st, "a") == WM_STORE_OK, "remove a");
    EXPECT(wm_store_compact(&st) == WM_STORE_OK, "compact");
    /* the chunk size under test (a protocol client may choose any) */
    int odd = push(&st, "d", 9999, 5, chunk);
    EXPECT(odd == WM_STORE_OK || odd == WM_STORE_EFLASH, "push d: %d", odd);
    static wm_store again;
    EXPECT(wm_store_mount(&again, &store_win.ops) == WM_STORE_OK, "remount");
    EXPECT(holds(&again, "b", 6144, 4) && holds(&again, "c", 30001, 3), "contents");
    EXPECT(!holds(&again, "a", 700, 1), "a removed");
    EXPECT(odd != WM_STORE_OK || holds(&again, "d", 9999, 5), "d");

    /* the config area: enough sets to switch banks several times, deletes, a remount */
    static wm_kv kv;
    EXPECT(wm_kv_mount(&kv, &kv_win.ops) == 0, "kv mount");
    uint8_t val[200], got[200];
    char key[8];
    for (uint32_t n = 0; n < KV_SETS; n++) {
        uint32_t len = 120u + (n * 37u) % 80u;
        fill(val, len, n);
        snprintf(key, sizeof key, "k%u", (unsigned)(n % 23u));
        EXPECT(wm_kv_set(&kv, (const uint8_t *)"mod", 3, (const uint8_t *)key, strlen(key), val,
                         len, 100000u) == 0,
               "kv set %u", (unsigned)n);
        if (n % 97u == 0u) {
            int d = wm_kv_delete(&kv, (const uint8_t *)"mod", 3, (const uint8_t *)"k5", 2);
            EXPECT(d == 0 || (n < 5u && d == WM_E_NOTFOUND), "kv delete: %d", d);
        }
    }
    static wm_kv kv2;
    EXPECT(wm_kv_mount(&kv2, &kv_win.ops) == 0, "kv remount");
    for (uint32_t n = KV_SETS - 23u; n < KV_SETS; n++) {
        uint32_t len = 120u + (n * 37u) % 80u;
        fill(val, len, n);
        snprintf(key, sizeof key, "k%u", (unsigned)(n % 23u));
        int r = wm_kv_get(&kv2, (const uint8_t *)"mod", 3, (const uint8_t *)key, strlen(key), got,
                          sizeof got);
        EXPECT(r == (int)len && memcmp(got, val, len) == 0, "kv get %s", key);
    }
    EXPECT(wm_kv_clear_ns(&kv2, (const uint8_t *)"mod", 3) == 0, "kv clear");

    EXPECT(wm_fake_flash_cr & WM_FLASH_CR_LOCK, "flash left unlocked");
    EXPECT((wm_fake_flash_acr & (WM_FLASH_ACR_ICEN | WM_FLASH_ACR_DCEN)) ==
               (WM_FLASH_ACR_ICEN | WM_FLASH_ACR_DCEN),
           "caches not restored");
    EXPECT(kv2.seq >= 3u, "the config area switched banks only %u times", (unsigned)kv2.seq - 1u);
    EXPECT(kicks == erases, "%u watchdog kicks for %u page erases", kicks, erases);
    printf("chunk=%u push_d=%s erases=%u double_words=%u kv_bank_switches=%u violations=%u "
           "failures=%u\n",
           (unsigned)chunk, odd == WM_STORE_OK ? "ok" : "eflash", erases, programs,
           (unsigned)kv2.seq - 1u, violations, *expect_failures());
    return violations == 0u && *expect_failures() == 0u ? 0 : 1;
}
