/* A small log-structured key-value store on a wm_flash_ops region (NOR semantics), shared
 * by all modules, each in its own namespace (its store name), and by the firmware's own
 * records (namespaces starting with '#', which no module name can: keys, pins, crash counts).
 *
 * Layout: the region is two banks of whole sectors. The active bank starts with an 8-byte
 * header (magic "WKV1", u32 sequence) and holds records appended back to back:
 *   slot 0 (8 bytes): u8 ns_len, u8 key_len, u16 value_len (0xFFFF = delete), u32 0
 *   data: ns, key, value, zero-padded to a multiple of 8
 *   commit (8 bytes): u32 CRC-32 of slot 0 and the unpadded data, u32 0
 * Each slot is programmed once after an erase. A record counts only when its commit CRC
 * matches, so a power cut mid-append leaves the old value. When a write does not fit, the
 * live records are copied to the other bank together with the write itself (the replaced
 * or deleted key left out), and that bank's header is programmed last with sequence + 1:
 * until then the old bank stays the valid one, so the write happens whole or not at all.
 * Mount takes the valid bank with the highest sequence. Reads scan the log (the newest
 * record for a key wins).
 *
 * Accounting is in flash bytes (wm_kv_record_bytes): what a live record occupies, header,
 * commit and padding included. A namespace's usage, the quota it is checked against, and the
 * share all module namespaces together may hold (module_pool, set by the owner so that the
 * firmware's records and the compaction headroom stay free) are all such bytes, so a quota is
 * a bound on flash, not on payload. docs/api.md and docs/reliability.md show the worst case. */
#ifndef WM_SB_KV_H
#define WM_SB_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "flash.h"

#define WM_KV_NS_MAX 32u
#define WM_KV_HEADER_BYTES 8u     /* of a bank */
#define WM_KV_RECORD_OVERHEAD 16u /* slot 0 and the commit slot */
#define WM_KV_ALIGN 8u
/* The largest record: a 32-byte namespace and key, a 256-byte value (sb_api.h limits). */
#define WM_KV_RECORD_MAX (WM_KV_RECORD_OVERHEAD + 32u + 32u + 256u)

/* Largest bank the store mounts (half the region's sectors): the RAM map of superseded
 * records has a bit per 8-byte slot of it (512 bytes for 32 KiB). */
#ifndef WM_KV_BANK_MAX
#define WM_KV_BANK_MAX 32768u
#endif

/* Bytes a namespace holds, remembered after the first full scan (a pass over the log). */
#define WM_KV_USAGE_CACHE 8u
typedef struct {
    uint8_t ns_len; /* 0 = empty entry */
    uint8_t ns[WM_KV_NS_MAX];
    uint32_t used;
} wm_kv_usage_entry;

typedef struct wm_kv {
    const wm_flash_ops *flash;
    uint32_t bank_size;
    uint32_t active; /* bank start offset */
    uint32_t seq;
    uint32_t end; /* first free byte of the active bank */
    /* Live bytes all module namespaces together may hold (default: the whole bank); the
     * rest is kept for the '#' namespaces and as free space after a compaction. */
    uint32_t module_pool;
    /* Mount found unreadable data inside the log, not at its end where a write torn by a
     * power cut leaves it: the records after it are lost (and the next write drops them). */
    bool damaged;
    uint32_t damaged_at;
    bool totals_ok;       /* the two totals below are exact (else recounted when needed) */
    uint32_t module_live; /* live bytes of module namespaces */
    uint32_t system_live; /* live bytes of '#' namespaces */
    /* Statistics: wear since mount, and the work of the last get, set, delete or clear:
     * bytes programmed plus bytes erased plus 32 per record it looked at, which the caller
     * charges to whoever asked (the supervisor: one unit of fuel per 8). */
    uint32_t erases;
    uint32_t compactions;
    uint32_t work;
    wm_kv_usage_entry usage[WM_KV_USAGE_CACHE];
    uint32_t usage_next; /* the entry to replace next */
    /* A bit per 8-byte slot of the active bank, set where a record starts that a later
     * valid record of its key superseded: liveness without rescanning the log (found at
     * mount, kept by every write, cleared by a compaction). */
    uint8_t dead[WM_KV_BANK_MAX / WM_KV_ALIGN / 8u];
} wm_kv;

/* Flash bytes of one record: 16 + (ns + key + value) rounded up to 8. A delete (tombstone)
 * costs wm_kv_record_bytes(ns, key, 0). */
uint32_t wm_kv_record_bytes(uint32_t ns_len, uint32_t key_len, uint32_t val_len);

/* Mounts the store, formatting it if no bank is valid, finds the superseded records and
 * counts the live bytes. 0 or WM_E_IO / WM_E_INVAL (geometry: at least two sectors, a bank
 * of at most WM_KV_BANK_MAX). */
int wm_kv_mount(wm_kv *kv, const wm_flash_ops *flash);
/* Most live bytes a bank holds: everything any mix of namespaces can ever keep. */
uint32_t wm_kv_capacity(const wm_kv *kv);
/* The share of module namespaces (see module_pool); at most wm_kv_capacity. */
void wm_kv_set_module_pool(wm_kv *kv, uint32_t bytes);
/* Live bytes of all module namespaces, or WM_E_IO. */
int wm_kv_module_live(wm_kv *kv);

/* 1 if the newest record of (ns, key) in the log is not a valid one (a write torn by a
 * power cut, or damaged, after whatever wm_kv_get returns), 0 if not, WM_E_IO. For records
 * that must not silently fall back to an older value or to none (the device's keys). */
int wm_kv_torn(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len);

/* Value length (>= 0) and, when it fits `cap`, the value copied to buf; WM_E_NOTFOUND,
 * WM_E_IO. Lengths must already be checked (key 1..32, ns 1..32). */
int wm_kv_get(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len,
              uint8_t *buf, uint32_t cap);
/* 0, WM_E_INVAL (lengths), WM_E_QUOTA (the namespace would hold more than `quota` bytes,
 * or module namespaces together more than module_pool; the store is unchanged), WM_E_IO
 * (flash failure; the old value is kept). Usage and quota count flash bytes. A '#'
 * namespace is checked against the whole bank instead of the module pool. */
int wm_kv_set(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len,
              const uint8_t *val, uint32_t val_len, uint32_t quota);
/* 0, WM_E_NOTFOUND, WM_E_IO. Never fails for lack of space (a full bank compacts the key
 * away instead of appending a tombstone). */
int wm_kv_delete(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
                 uint32_t key_len);
/* Deletes every key of the namespace at once (a removed module's data): one compaction
 * that leaves them out, so a power cut keeps all or none. 0 or WM_E_IO. */
int wm_kv_clear_ns(wm_kv *kv, const uint8_t *ns, uint32_t ns_len);
/* Flash bytes the namespace holds (every live record), or WM_E_IO. */
int wm_kv_usage(wm_kv *kv, const uint8_t *ns, uint32_t ns_len);

/* One live record, for listing (tests, fuzz oracles). */
typedef struct {
    uint8_t ns[WM_KV_NS_MAX];
    uint32_t ns_len;
    uint32_t key_len, val_len;
    uint32_t bytes; /* flash bytes */
} wm_kv_entry;
/* Next live record at or after *pos (start with 0): 1 with *e filled and *pos advanced, 0
 * at the end, WM_E_IO. */
int wm_kv_next_live(wm_kv *kv, uint32_t *pos, wm_kv_entry *e);

#endif
