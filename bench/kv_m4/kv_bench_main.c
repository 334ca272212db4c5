/* Benchmark image for the config area's key-value store on QEMU mps2-an386 (Cortex-M4):
 * the worst case of a write and of a mount. Linked with the firmware's start-up and port
 * (bench/bare_image.py), it replaces the app's wm_app_main; bench/kv_compaction.py builds
 * it and runs it with -icount shift=0 (SysTick: 40 instructions a tick).
 *
 * A 64 KiB area of 4 KiB sectors (every board's) in RAM with NOR semantics: the whole pool
 * modules may use (KV_POOL, from the script) is filled with the smallest live records
 * (namespace "t", 4-byte keys, empty values: 24 bytes), then one key is rewritten until
 * the bank is full and the next write compacts: every record is checked and the live ones
 * copied. Printed: the mean and the slowest append, the compaction, the mount of that
 * full bank (which finds every superseded record), and a lookup. */
#include <stddef.h>
#include <stdint.h>

#include "bare_console.h"
#include "bare_counter.h"
#include "flash_ram.h"
#include "kv.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define KV_SIZE 65536u
#define KV_SECTOR 4096u

static uint8_t g_area[KV_SIZE] __attribute__((aligned(8)));
static wm_flash_ram g_flash;
static wm_kv g_kv;

/* One line: the case, its SysTick ticks, a count, and the work the store charged for it
 * (wm_kv.work: flash bytes programmed and erased, 32 per record looked at). */
static void report_work(const char *name, uint32_t ticks, uint32_t n, uint32_t work)
{
    bare_put("kv ");
    bare_put(name);
    bare_put(" ticks=");
    bare_put_u32(ticks);
    bare_put(" n=");
    bare_put_u32(n);
    bare_put(" work=");
    bare_put_u32(work);
    bare_put("\r\n");
}

static void report(const char *name, uint32_t ticks, uint32_t n)
{
    report_work(name, ticks, n, g_kv.work);
}

void wm_app_main(void)
{
    static const uint8_t ns[] = "t";
    uint8_t key[4] = {0, 0, 0, 0};
    uint32_t i, t, n = 0, sum = 0, slowest = 0, work = 0;
    for (i = 0; i < KV_SIZE; i++) {
        g_area[i] = 0xFFu;
    }
    (void)wm_flash_ram_init(&g_flash, g_area, KV_SIZE, KV_SECTOR);
    t = counter_start();
    int rc = wm_kv_mount(&g_kv, &g_flash.ops);
    report("mount_empty", counter_elapsed(t), (uint32_t)rc);
    wm_kv_set_module_pool(&g_kv, KV_POOL);
    for (i = 0;; i++) { /* the pool, full of live records */
        key[0] = (uint8_t)i;
        key[1] = (uint8_t)(i >> 8);
        if (wm_kv_set(&g_kv, ns, 1, key, 4, key, 0, KV_POOL) != 0) {
            break;
        }
    }
    report("live_records", 0, i);
    key[0] = key[1] = 0;
    for (;;) { /* rewrite key 0 until a write compacts */
        uint32_t before = g_kv.compactions;
        t = counter_start();
        rc = wm_kv_set(&g_kv, ns, 1, key, 4, key, 0, KV_POOL);
        uint32_t d = counter_elapsed(t);
        if (rc != 0 || g_kv.compactions != before) {
            report("compaction", d, (uint32_t)rc);
            break;
        }
        if (d > slowest) {
            report("append_slowest", d, n); /* the last of these lines is the slowest */
            slowest = d;
        }
        n++;
        sum += d;
        work = g_kv.work;
    }
    report_work("append_mean", sum / (n ? n : 1u), n, work); /* work: the last append's */
    /* a bank full of superseded rewrites, the other's live records: the mount's worst */
    for (i = 0; i + 1u < n; i++) {
        (void)wm_kv_set(&g_kv, ns, 1, key, 4, key, 0, KV_POOL);
    }
    t = counter_start();
    rc = wm_kv_mount(&g_kv, &g_flash.ops);
    report("mount_full", counter_elapsed(t), (uint32_t)rc);
    uint8_t v[4];
    key[0] = 7;
    t = counter_start();
    rc = wm_kv_get(&g_kv, ns, 1, key, 4, v, sizeof v);
    report("get", counter_elapsed(t), (uint32_t)rc);
    bare_put("kv-bench done\r\n");
    for (;;) {
        wm_port_idle();
    }
}
