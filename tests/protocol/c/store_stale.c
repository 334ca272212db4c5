/* Stale image bytes must never be read as a record header. A record's image is anyone's
 * bytes (on an unprovisioned device any module, on any device a push refused at its
 * commit), so it may hold a complete forged header - committed, any name, the highest
 * generation - at a sector boundary. Mount skips a valid header's whole extent, so that
 * is harmless while the record's own header stands; it must go last, after every other
 * sector of the record, whenever the record's space is reused:
 *   erase-order  the dead record is erased header first; a power cut after that first
 *                erase left its forged sector to the next mount;
 *   forgotten    a dead record the full record table forgot (table_slot) was reused by a
 *                shorter run, which erased its header sector only.
 * Either way the next mount took the forged header for the newest copy of "app" and
 * deleted the real one. Prints one line per scenario; exits non-zero on a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "harness.h"
#include "store/store.h"
#include "wm_bytes.h"
#include "wm_crc32.h"

#define SECTOR 256u
#define NSECT 64u

#include "cut_flash.h"

static sim_flash g_flash;

static wm_flash_ops g_ops = {&g_flash, SECTOR,    SECTOR *NSECT, g_flash.mem,
                             sim_read, sim_erase, sim_program};

static const uint8_t k_app[] = "the real app";

static int put(wm_store *st, const char *name, const uint8_t *img, uint32_t size)
{
    uint8_t sha[32];
    wm_sha256(img, size, sha);
    int rc = wm_store_begin(st, name, size, sha, 0);
    if (rc == WM_STORE_OK) {
        rc = wm_store_write(st, 0, img, size);
    }
    return rc == WM_STORE_OK ? wm_store_commit(st, NULL, NULL, NULL) : rc;
}

/* `nsect` sectors of image holding, at each record sector after the first, a forged
 * committed header of "app" with the highest generation. */
static int put_forger(wm_store *st, const char *name, uint32_t nsect)
{
    static uint8_t img[SECTOR * NSECT];
    uint32_t size = nsect * SECTOR - WM_STORE_HEADER_SIZE;
    memset(img, 0x5A, size);
    for (uint32_t k = 1; k < nsect; k++) {
        uint8_t *h = img + k * SECTOR - WM_STORE_HEADER_SIZE;
        memset(h, 0xFF, WM_STORE_HEADER_SIZE);
        wm_st32(h + 0, WM_STORE_MAGIC);
        wm_st32(h + 4, 0x7FFFFFF0u); /* newer than anything */
        wm_st32(h + 8, 8);           /* size */
        wm_st32(h + 12, 0);          /* flags */
        memset(h + 16, 0, 32);
        memcpy(h + 16, "app", 3);
        memset(h + 48, 0xAB, 32); /* sha */
        wm_st32(h + 80, wm_crc32(0, h, 80));
        wm_st32(h + 96, WM_STORE_COMMITTED);
    }
    return put(st, name, img, size);
}

/* "app" is the real one, and is the only record named so. */
static int app_intact(wm_store *st)
{
    uint32_t i;
    wm_store_info info;
    uint8_t sha[32];
    wm_sha256(k_app, sizeof k_app, sha);
    return wm_store_find(st, "app", &i) == WM_STORE_OK && wm_store_get(st, i, &info) == 0 &&
           memcmp(info.sha256, sha, 32) == 0;
}

/* app at sector 0, a forger over sectors 1..4 then removed (dead, in the table), b after
 * it; then a one-sector push reuses the forger's first sector, cut after `cut` flash
 * operations (-1: not cut). */
static int erase_order(long cut, int partial)
{
    wm_store st;
    memset(&g_flash, 0xFF, sizeof g_flash.mem);
    g_flash.budget = -1;
    g_flash.dead = 0;
    g_flash.partial = partial;
    if (wm_store_mount(&st, &g_ops) != 0 || put(&st, "app", k_app, sizeof k_app) != 0 ||
        put_forger(&st, "forger", 4) != 0 || put(&st, "b", k_app, 4) != 0 ||
        wm_store_remove(&st, "forger") != 0) {
        return -1;
    }
    g_flash.budget = cut;
    uint8_t sha[32] = {0};
    (void)wm_store_begin(&st, "small", 8, sha, 0);
    g_flash.dead = 0;
    g_flash.budget = -1;
    if (wm_store_mount(&st, &g_ops) != 0) {
        return 0;
    }
    return app_intact(&st);
}

/* app, a forger over sectors 1..4, m1..m20; m19 and m20 replaced by two-sector copies
 * (their old copies dead in one-sector gaps) and the forger removed: 21 live and 3 dead
 * records, a full table. A five-sector push, which fits none of the gaps, makes the table
 * forget the forger (the first dead record); then a one-sector push takes the forger's
 * first sector. */
static int forgotten(void)
{
    wm_store st;
    char name[16];
    static uint8_t two[2 * SECTOR - WM_STORE_HEADER_SIZE];
    memset(&g_flash, 0xFF, sizeof g_flash.mem);
    g_flash.budget = -1;
    g_flash.dead = 0;
    if (wm_store_mount(&st, &g_ops) != 0 || put(&st, "app", k_app, sizeof k_app) != 0 ||
        put_forger(&st, "forger", 4) != 0) {
        return -1;
    }
    for (int k = 1; k <= 20; k++) {
        snprintf(name, sizeof name, "m%d", k);
        if (put(&st, name, k_app, 4) != 0) {
            return -1;
        }
    }
    if (put(&st, "m19", two, sizeof two) != 0 || put(&st, "m20", two, sizeof two) != 0 ||
        wm_store_remove(&st, "forger") != 0) {
        return -1;
    }
    static uint8_t big[5 * SECTOR - WM_STORE_HEADER_SIZE];
    uint8_t sha[32] = {0};
    if (wm_store_begin(&st, "big", sizeof big, sha, 0) != 0) {
        return -1;
    }
    wm_store_abort(&st);
    if (wm_store_begin(&st, "small", 8, sha, 0) != 0) {
        return -1;
    }
    wm_store_abort(&st);
    if (wm_store_mount(&st, &g_ops) != 0) {
        return 0;
    }
    return app_intact(&st) && wm_store_count(&st) == 21;
}

int main(void)
{
    int failures = 0;
    for (int partial = 0; partial < 2; partial++) {
        int cuts = 0, bad = 0;
        for (long cut = 0; cut <= 12; cut++, cuts++) {
            int ok = erase_order(cut, partial);
            if (ok < 0) {
                printf("erase-order: set-up failed\n");
                return 1;
            }
            bad += ok ? 0 : 1;
        }
        printf("erase-order%s: cut points=%d app lost=%d\n", partial ? "+partial" : "", cuts, bad);
        failures += bad;
    }
    int ok = forgotten();
    if (ok < 0) {
        printf("forgotten: set-up failed\n");
        return 1;
    }
    printf("forgotten: app lost=%d\n", ok ? 0 : 1);
    failures += ok ? 0 : 1;
    return failures == 0 ? 0 : 1;
}
