/* Module store tests on a simulated NOR flash in RAM, with power cuts injected at every
 * flash operation of an install / replace / remove (posix test program, uses libc).
 * Prints one summary line per scenario; exits non-zero on any inconsistent outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "harness.h"
#include "protocol/wire.h"
#include "store/store.h"

#define SECTOR 4096u
#define NSECT 16u

#include "cut_flash.h"

static sim_flash g_flash;
static wm_flash_ops g_ops = {&g_flash, SECTOR,    SECTOR *NSECT, g_flash.mem,
                             sim_read, sim_erase, sim_program};
static long g_want_tail; /* the seed whose install writes a tail in this sweep, 0: none */

static void make_image(uint8_t *buf, uint32_t size, uint32_t seed)
{
    for (uint32_t i = 0; i < size; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
}

/* A tail for the install in progress, written from the commit's validate callback as the
 * supervisor writes a pre-decoded form: `tail_len` bytes of seed `seed` + 1000. */
typedef struct {
    wm_store *st;
    uint32_t seed, len;
} tail_job;

static int put_tail(void *ctx, const uint8_t *image, uint32_t size, wm_msg *why)
{
    static uint8_t tail[SECTOR * NSECT];
    tail_job *j = ctx;
    (void)image, (void)size, (void)why;
    make_image(tail, j->len, j->seed + 1000u);
    return wm_store_put_tail(j->st, tail, j->len) == WM_STORE_OK ? 0 : -1;
}

/* Whether `name`'s tail is the one its seed's install wrote: 1, none: 0, else -1. */
static int tail_is(wm_store *st, const char *name, uint32_t seed, uint32_t len)
{
    static uint8_t want[SECTOR * NSECT];
    uint32_t i, got_len = 0;
    if (wm_store_find(st, name, &i) != WM_STORE_OK) {
        return 0;
    }
    const uint8_t *t = wm_store_tail(st, i, &got_len);
    if (t == NULL) {
        return 0;
    }
    make_image(want, len, seed + 1000u);
    return got_len == len && memcmp(t, want, len) == 0 ? 1 : -1;
}

static int install_full(wm_store *st, const char *name, uint32_t size, uint32_t seed,
                        uint32_t flags, uint32_t tail_len);

/* Install `size` bytes with `seed`, writing in 700-byte pieces like the protocol does. */
static int install(wm_store *st, const char *name, uint32_t size, uint32_t seed, uint32_t flags)
{
    return install_full(st, name, size, seed, flags, 0);
}

static int install_full(wm_store *st, const char *name, uint32_t size, uint32_t seed,
                        uint32_t flags, uint32_t tail_len)
{
    tail_job job = {st, seed, tail_len};
    static uint8_t img[SECTOR * NSECT];
    uint8_t sha[32];
    make_image(img, size, seed);
    wm_sha256(img, size, sha);
    int rc = wm_store_begin(st, name, size, sha, flags);
    for (uint32_t off = 0; rc == WM_STORE_OK && off < size; off += 700u) {
        uint32_t n = size - off < 700u ? size - off : 700u;
        rc = wm_store_write(st, off, img + off, n);
    }
    if (rc == WM_STORE_OK) {
        rc = wm_store_commit(st, tail_len > 0 ? put_tail : NULL, &job, NULL);
    } else {
        wm_store_abort(st);
    }
    return rc;
}

/* Which seed's image does `name` hold now? 0 = absent, -1 = corrupt/unknown. */
static long holds(wm_store *st, const char *name, const uint32_t *seeds, const uint32_t *sizes,
                  int nseeds)
{
    static uint8_t got[SECTOR * NSECT], want[SECTOR * NSECT];
    uint32_t i;
    wm_store_info info;
    if (wm_store_find(st, name, &i) != WM_STORE_OK) {
        return 0;
    }
    if (wm_store_get(st, i, &info) != WM_STORE_OK ||
        wm_store_read(st, i, 0, got, info.size) != WM_STORE_OK) {
        return -1;
    }
    for (int k = 0; k < nseeds; k++) {
        if (sizes[k] != info.size) {
            continue;
        }
        make_image(want, sizes[k], seeds[k]);
        if (memcmp(got, want, info.size) == 0) {
            uint8_t sha[32];
            wm_sha256(got, info.size, sha);
            return memcmp(sha, info.sha256, 32) == 0 ? (long)seeds[k] : -1;
        }
    }
    return -1;
}

static int mount(wm_store *st)
{
    g_flash.dead = 0;
    g_flash.budget = -1;
    return wm_store_mount(st, &g_ops);
}

typedef int (*op_fn)(wm_store *st);

static int op_replace_a(wm_store *st) { return install(st, "alpha", 9000, 2, 0); }

static int op_install_c(wm_store *st)
{
    return install(st, "gamma", 5000, 3, WM_MODFLAG_AUTOSTART);
}

static int op_remove_b(wm_store *st) { return wm_store_remove(st, "beta"); }

/* gamma with a 6000-byte tail: image and tail span three sectors */
#define TAIL_LEN 6000u
static int op_install_c_tail(wm_store *st)
{
    return install_full(st, "gamma", 5000, 3, 0, TAIL_LEN);
}

static int op_replace_a_tail(wm_store *st)
{
    return install_full(st, "alpha", 9000, 2, 0, TAIL_LEN);
}

/* Run `op` once uncut to count its flash ops, then once per cut point k = 0..ops with power
 * lost at op k; after each, remount and classify `name`. Returns the number of bad runs. */
static int sweep(const char *label, void (*setup)(wm_store *), op_fn op, const char *name,
                 long before, long after)
{
    static uint8_t snapshot[SECTOR * NSECT];
    wm_store st;
    uint32_t seeds[3] = {1, 2, 3};
    uint32_t sizes[3] = {6000, 9000, 5000};
    memset(g_flash.mem, 0xFF, sizeof g_flash.mem);
    mount(&st);
    setup(&st);
    memcpy(snapshot, g_flash.mem, sizeof snapshot);
    g_flash.ops = 0;
    int rc = op(&st);
    long total = g_flash.ops;
    EXPECT(rc == WM_STORE_OK, "%s: uncut op failed rc=%d", label, rc);
    int n_before = 0, n_after = 0, bad = 0;
    for (long k = 0; k <= total; k++) {
        memcpy(g_flash.mem, snapshot, sizeof snapshot);
        EXPECT(mount(&st) == WM_STORE_OK, "%s: mount before cut", label);
        g_flash.budget = k;
        (void)op(&st);
        if (mount(&st) != WM_STORE_OK) {
            bad++;
            continue;
        }
        long h = holds(&st, name, seeds, sizes, 3);
        /* a live image has the whole tail its install wrote, or (installed without) none */
        int t = h > 0 ? tail_is(&st, name, (uint32_t)h, TAIL_LEN) : 0;
        if (t < 0 || (t == 0 && h > 0 && g_want_tail == h)) {
            bad++;
            printf("  cut at op %ld of %ld: %s's tail is %s\n", k, total, name,
                   t < 0 ? "damaged" : "missing");
        }
        /* the other modules must be untouched whatever happened */
        long other = strcmp(name, "beta") != 0 ? holds(&st, "beta", seeds, sizes, 3) : 1;
        uint32_t beta_seed = 1;
        long beta_ok = strcmp(name, "beta") != 0 ? (other == (long)beta_seed) : 1;
        if (h == before && beta_ok) {
            n_before++;
        } else if (h == after && beta_ok) {
            n_after++;
        } else {
            bad++;
            printf("  cut at op %ld of %ld: %s holds %ld\n", k, total, name, h);
        }
        /* the store must stay usable: one more install after the cut works and survives */
        int rc2 = install(&st, "delta", 3000, 1, 0);
        wm_store st2;
        EXPECT(rc2 == WM_STORE_OK || rc2 == WM_STORE_ENOSPC, "%s: install after cut rc=%d", label,
               rc2);
        EXPECT(mount(&st2) == WM_STORE_OK && holds(&st2, name, seeds, sizes, 3) == h,
               "%s: state changed by a later install (cut %ld)", label, k);
    }
    printf("%s%s: cut points=%ld old=%d new=%d inconsistent=%d\n", label,
           g_flash.partial ? "+partial" : "", total + 1, n_before, n_after, bad);
    *expect_failures() += (unsigned)bad;
    return bad;
}

static void setup_ab(wm_store *st)
{
    EXPECT(install(st, "alpha", 6000, 1, 0) == WM_STORE_OK, "setup alpha");
    EXPECT(install(st, "beta", 6000, 1, 0) == WM_STORE_OK, "setup beta");
}

/* Make the free space lie only in dead records: replace alpha until the region wrapped. */
static void setup_wrapped(wm_store *st)
{
    setup_ab(st);
    for (int i = 0; i < 5; i++) {
        EXPECT(install(st, "alpha", i % 2 ? 6000 : 9000, i % 2 ? 1 : 2, 0) == WM_STORE_OK,
               "setup replace %d", i);
    }
    EXPECT(install(st, "alpha", 6000, 1, 0) == WM_STORE_OK, "setup last");
}

/* Fragmented store: seven 2-sector modules, every other one removed. Installing a module
 * that needs 7 contiguous sectors forces compaction (records move down). */
#define FRAG_SIZE 5000u
#define BIG_SIZE (7u * SECTOR - WM_STORE_HEADER_SIZE - 100u)

static void setup_fragmented(wm_store *st)
{
    char name[8];
    for (uint32_t i = 1; i <= 7; i++) {
        snprintf(name, sizeof name, "m%u", (unsigned)i);
        EXPECT(install_full(st, name, FRAG_SIZE, 40u + i, 0, i == 3 ? 1000u : 0u) == WM_STORE_OK,
               "setup %s", name);
    }
    EXPECT(wm_store_remove(st, "m2") == WM_STORE_OK && wm_store_remove(st, "m4") == WM_STORE_OK &&
               wm_store_remove(st, "m6") == WM_STORE_OK,
           "setup removes");
}

static int op_install_big(wm_store *st) { return install(st, "big", BIG_SIZE, 77, 0); }

static void sweep_compaction(void)
{
    static uint8_t snapshot[SECTOR * NSECT];
    wm_store st;
    memset(g_flash.mem, 0xFF, sizeof g_flash.mem);
    mount(&st);
    setup_fragmented(&st);
    EXPECT(wm_store_free(&st) < BIG_SIZE, "store is fragmented (largest run %u)",
           wm_store_free(&st));
    memcpy(snapshot, g_flash.mem, sizeof snapshot);
    g_flash.ops = 0;
    int rc = op_install_big(&st);
    long total = g_flash.ops;
    EXPECT(rc == WM_STORE_OK, "compaction made room: rc=%d", rc);
    int absent = 0, present = 0, bad = 0;
    for (long k = 0; k <= total; k++) {
        memcpy(g_flash.mem, snapshot, sizeof snapshot);
        mount(&st);
        g_flash.budget = k;
        (void)op_install_big(&st);
        int ok = mount(&st) == WM_STORE_OK;
        uint32_t big_seed = 77, big_size = BIG_SIZE, fsize = FRAG_SIZE;
        for (uint32_t i = 1; ok && i <= 7; i += 2) {
            char name[8];
            uint32_t seed = 40u + i;
            snprintf(name, sizeof name, "m%u", (unsigned)i);
            ok = holds(&st, name, &seed, &fsize, 1) == (long)seed;
        }
        ok = ok && tail_is(&st, "m3", 43u, 1000u) == 1; /* moved with its image, or not */
        long h = holds(&st, "big", &big_seed, &big_size, 1);
        ok = ok && wm_store_count(&st) == (h == 77 ? 5u : 4u);
        if (ok && h == 0) {
            absent++;
        } else if (ok && h == 77) {
            present++;
        } else {
            bad++;
            printf("  compaction cut at op %ld of %ld: big=%ld count=%u\n", k, total, h,
                   wm_store_count(&st));
        }
        /* the interrupted install can always be redone */
        EXPECT(h == 77 || op_install_big(&st) == WM_STORE_OK, "redo after cut %ld", k);
    }
    printf("compaction%s: cut points=%ld old=%d new=%d inconsistent=%d\n",
           g_flash.partial ? "+partial" : "", total + 1, absent, present, bad);
    *expect_failures() += (unsigned)bad;
}

static void unit_tests(void)
{
    wm_store st;
    uint8_t sha[32] = {0};
    memset(g_flash.mem, 0xFF, sizeof g_flash.mem);
    EXPECT(mount(&st) == WM_STORE_OK, "mount empty");
    EXPECT(wm_store_count(&st) == 0, "empty count");
    EXPECT(wm_store_free(&st) == SECTOR * NSECT - WM_STORE_HEADER_SIZE, "free %u",
           wm_store_free(&st));
    EXPECT(wm_store_begin(&st, "bad name", 10, sha, 0) == WM_STORE_EINVAL, "name check");
    EXPECT(wm_store_begin(&st, "", 10, sha, 0) == WM_STORE_EINVAL, "empty name");
    EXPECT(wm_store_begin(&st, "x", 0, sha, 0) == WM_STORE_EINVAL, "zero size");
    EXPECT(install(&st, "big", SECTOR * NSECT, 1, 0) == WM_STORE_EINVAL, "too big");
    /* wrong hash: rejected, nothing becomes live */
    EXPECT(wm_store_begin(&st, "liar", 10, sha, 0) == WM_STORE_OK, "begin liar");
    EXPECT(wm_store_write(&st, 0, (const uint8_t *)"0123456789", 10) == WM_STORE_OK, "w");
    EXPECT(wm_store_commit(&st, NULL, NULL, NULL) == WM_STORE_EHASH, "hash mismatch");
    EXPECT(wm_store_count(&st) == 0, "liar not live");
    /* out-of-order write refused */
    EXPECT(wm_store_begin(&st, "x", 10, sha, 0) == WM_STORE_OK, "begin x");
    EXPECT(wm_store_write(&st, 5, (const uint8_t *)"01234", 5) == WM_STORE_EINVAL, "order");
    wm_store_abort(&st);
    /* fill up: flash-full is a clean error and loses nothing */
    int n = 0;
    char name[16];
    for (; n < 20; n++) {
        snprintf(name, sizeof name, "m%d", n);
        int rc = install(&st, name, 3 * SECTOR, (uint32_t)n + 10u, 0);
        if (rc != WM_STORE_OK) {
            EXPECT(rc == WM_STORE_ENOSPC, "full rc=%d", rc);
            break;
        }
    }
    EXPECT(n == 4, "installed %d modules of 3 sectors + header into 16 sectors", n);
    EXPECT(wm_store_remove(&st, "m1") == WM_STORE_OK, "remove");
    EXPECT(wm_store_remove(&st, "m1") == WM_STORE_ENOENT, "remove twice");
    EXPECT(install(&st, "again", 3 * SECTOR, 99, WM_MODFLAG_AUTOSTART) == WM_STORE_OK,
           "reuse removed space");
    wm_store st2;
    EXPECT(mount(&st2) == WM_STORE_OK && wm_store_count(&st2) == 4, "remount count %u",
           wm_store_count(&st2));
    uint32_t i;
    wm_store_info info;
    EXPECT(wm_store_find(&st2, "again", &i) == WM_STORE_OK &&
               wm_store_get(&st2, i, &info) == WM_STORE_OK && info.flags == WM_MODFLAG_AUTOSTART,
           "flags persist");
    printf("unit: failures=%u\n", *expect_failures());
}

int main(void)
{
    unit_tests();
    for (g_flash.partial = 0; g_flash.partial < 2; g_flash.partial++) {
        sweep("replace", setup_ab, op_replace_a, "alpha", 1, 2);
        sweep("install", setup_ab, op_install_c, "gamma", 0, 3);
        sweep("remove", setup_ab, op_remove_b, "beta", 1, 0);
        sweep("replace-wrapped", setup_wrapped, op_replace_a, "alpha", 1, 2);
        g_want_tail = 3;
        sweep("install-tail", setup_ab, op_install_c_tail, "gamma", 0, 3);
        g_want_tail = 2;
        sweep("replace-tail", setup_ab, op_replace_a_tail, "alpha", 1, 2);
        g_want_tail = 0;
        sweep_compaction();
    }
    printf("total failures=%u\n", *expect_failures());
    return *expect_failures() == 0 ? 0 : 1;
}
