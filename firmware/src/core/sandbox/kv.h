/* A small log-structured key-value store on a wm_flash_ops region (NOR semantics), shared
 * by all modules, each in its own namespace (the module name), with a per-namespace quota.
 *
 * Layout: the region is two banks of whole sectors. The active bank starts with an 8-byte
 * header (magic "WKV1", u32 sequence) and holds records appended back to back:
 *   slot 0 (8 bytes): u8 ns_len, u8 key_len, u16 value_len (0xFFFF = delete), u32 0
 *   data: ns, key, value, zero-padded to a multiple of 8
 *   commit (8 bytes): u32 CRC-32 of slot 0 and the unpadded data, u32 0
 * Each slot is programmed once after an erase. A record counts only when its commit CRC
 * matches, so a power cut mid-append leaves the old value. When the bank is full the live
 * records are copied to the other bank, whose header is programmed last with sequence + 1:
 * until then the old bank stays the valid one. Mount takes the valid bank with the highest
 * sequence. Reads scan the log (the region is small; the newest record for a key wins). */
#ifndef WM_SB_KV_H
#define WM_SB_KV_H

#include <stdint.h>

#include "flash.h"

/* Bytes a namespace holds, remembered after the first full scan: counting them needs a
 * pass over the log per record (quadratic), a set must not pay that every time. */
#define WM_KV_USAGE_CACHE 8u
typedef struct {
    uint8_t ns_len; /* 0 = empty entry */
    uint8_t ns[32];
    uint32_t used;
} wm_kv_usage_entry;

typedef struct wm_kv {
    const wm_flash_ops *flash;
    uint32_t bank_size;
    uint32_t active; /* bank start offset */
    uint32_t seq;
    uint32_t end;    /* first free byte of the active bank */
    wm_kv_usage_entry usage[WM_KV_USAGE_CACHE];
    uint32_t usage_next; /* the entry to replace next */
} wm_kv;

/* Mounts the store, formatting it if no bank is valid. 0 or WM_E_IO / WM_E_INVAL (geometry:
 * at least two sectors). */
int wm_kv_mount(wm_kv *kv, const wm_flash_ops *flash);

/* Value length (>= 0) and, when it fits `cap`, the value copied to buf; WM_E_NOTFOUND,
 * WM_E_IO. Lengths must already be checked (key 1..32, ns 1..32). */
int wm_kv_get(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
              uint32_t key_len, uint8_t *buf, uint32_t cap);
/* 0, WM_E_QUOTA (the store is unchanged), WM_E_IO (flash failure or the store is full;
 * the old value is kept). The quota counts key_len + value_len of every live key of ns. */
int wm_kv_set(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
              uint32_t key_len, const uint8_t *val, uint32_t val_len, uint32_t quota);
int wm_kv_delete(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
                 uint32_t key_len);
/* Deletes every key of the namespace (a removed module's data, all version pins). 0 or
 * WM_E_IO; a power cut part-way leaves some keys deleted, never a torn value. */
int wm_kv_clear_ns(wm_kv *kv, const uint8_t *ns, uint32_t ns_len);
/* Bytes the namespace holds (key + value of every live key), or WM_E_IO. */
int wm_kv_usage(wm_kv *kv, const uint8_t *ns, uint32_t ns_len);

#endif
