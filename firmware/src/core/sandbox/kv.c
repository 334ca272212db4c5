#include "kv.h"

#include "../protocol/crc32.h"
#include "sb_api.h"
#include "sb_util.h"

#define KV_MAGIC 0x31564B57u /* "WKV1" */
#define KV_TOMB 0xFFFFu
#define KV_NAME_MAX 32u
#define KV_REC_MAX (8u + 32u + 32u + 256u + 8u + 8u)

typedef struct {
    uint32_t at; /* record offset in the region */
    uint32_t size;
    uint8_t ns_len, key_len;
    uint16_t val_len;
    bool valid;
} kv_rec;

static int rd(const wm_kv *kv, uint32_t addr, uint8_t *buf, uint32_t len)
{
    if (kv->flash->mapped) {
        wm_sb_mem_copy(buf, kv->flash->mapped + addr, len);
        return 0;
    }
    return kv->flash->read(kv->flash->ctx, addr, buf, len) == 0 ? 0 : WM_E_IO;
}

static uint32_t pad8(uint32_t n) { return (n + 7u) & ~7u; }

static bool all_ff(const uint8_t *p, uint32_t n)
{
    uint8_t acc = 0xFF;
    for (uint32_t i = 0; i < n; i++) acc &= p[i];
    return acc == 0xFF;
}

/* Decodes the record at `at`; returns 1 if there is one (valid or torn), 0 at the end of the
 * log, <0 on a read error. A header that cannot be a record ends the log (bank treated as
 * full, so the next write compacts). */
static int next_rec(const wm_kv *kv, uint32_t at, kv_rec *r)
{
    uint32_t bank_end = kv->active + kv->bank_size;
    uint8_t h[8];
    if (bank_end - at < 16u) return 0;
    if (rd(kv, at, h, 8)) return WM_E_IO;
    if (all_ff(h, 8)) return 0;
    r->at = at;
    r->ns_len = h[0];
    r->key_len = h[1];
    r->val_len = wm_sb_le16(h + 2);
    uint32_t vlen = r->val_len == KV_TOMB ? 0u : r->val_len;
    if (r->ns_len == 0 || r->ns_len > KV_NAME_MAX || r->key_len == 0 ||
        r->key_len > WM_KV_KEY_MAX || (vlen > WM_KV_VALUE_MAX) || wm_sb_le32(h + 4) != 0)
        return 0;
    uint32_t data = (uint32_t)r->ns_len + r->key_len + vlen;
    r->size = 16u + pad8(data);
    if (bank_end - at < r->size) return 0;
    uint8_t buf[KV_REC_MAX];
    if (rd(kv, at, buf, r->size)) return WM_E_IO;
    uint32_t crc = wm_crc32(0, buf, 8u + data);
    const uint8_t *c = buf + r->size - 8u;
    r->valid = wm_sb_le32(c) == crc && wm_sb_le32(c + 4) == 0;
    return 1;
}

/* Compares the record's namespace and (optionally) key. */
static int rec_is(const wm_kv *kv, const kv_rec *r, const uint8_t *ns, uint32_t ns_len,
                  const uint8_t *key, uint32_t key_len, bool *match)
{
    uint8_t buf[KV_NAME_MAX + WM_KV_KEY_MAX];
    *match = false;
    if (r->ns_len != ns_len || (key && r->key_len != key_len)) return 0;
    if (rd(kv, r->at + 8u, buf, (uint32_t)r->ns_len + r->key_len)) return WM_E_IO;
    *match = wm_sb_mem_eq(buf, ns, ns_len) && (!key || wm_sb_mem_eq(buf + ns_len, key,
                                                                       key_len));
    return 0;
}

/* The newest valid record of (ns, key) at or after `from`; found=false if none. */
static int find_from(const wm_kv *kv, uint32_t from, const uint8_t *ns, uint32_t ns_len,
                     const uint8_t *key, uint32_t key_len, kv_rec *out, bool *found)
{
    *found = false;
    kv_rec r;
    int rc;
    for (uint32_t at = from; at < kv->end && (rc = next_rec(kv, at, &r)) != 0; at += r.size) {
        if (rc < 0) return rc;
        if (!r.valid) continue;
        bool m;
        if (rec_is(kv, &r, ns, ns_len, key, key_len, &m)) return WM_E_IO;
        if (m) {
            *out = r;
            *found = true;
        }
    }
    return 0;
}

static int find(const wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
                uint32_t key_len, kv_rec *out, bool *found)
{
    return find_from(kv, kv->active + 8u, ns, ns_len, key, key_len, out, found);
}

/* True if `r` is the newest valid record of its (ns, key) and not a delete: no valid
 * record of the same key follows it (only the rest of the log is scanned). */
static int is_live(const wm_kv *kv, const kv_rec *r, bool *live)
{
    uint8_t id[KV_NAME_MAX + WM_KV_KEY_MAX];
    *live = false;
    if (!r->valid || r->val_len == KV_TOMB) return 0;
    if (rd(kv, r->at + 8u, id, (uint32_t)r->ns_len + r->key_len)) return WM_E_IO;
    kv_rec later;
    bool found;
    if (find_from(kv, r->at + r->size, id, r->ns_len, id + r->ns_len, r->key_len, &later,
                  &found))
        return WM_E_IO;
    *live = !found;
    return 0;
}

static int scan_end(wm_kv *kv)
{
    kv_rec r;
    uint32_t at = kv->active + 8u;
    int rc;
    kv->end = kv->active + kv->bank_size; /* while scanning, `find` may look everywhere */
    while ((rc = next_rec(kv, at, &r)) > 0) at += r.size;
    if (rc < 0) return rc;
    /* A header that is not all 0xFF but no record: the rest of the bank is unusable. */
    uint8_t h[8];
    if (kv->active + kv->bank_size - at >= 8u) {
        if (rd(kv, at, h, 8)) return WM_E_IO;
        if (!all_ff(h, 8)) at = kv->active + kv->bank_size;
    }
    kv->end = at;
    return 0;
}

static int erase_bank(const wm_kv *kv, uint32_t base)
{
    const wm_flash_ops *f = kv->flash;
    for (uint32_t s = 0; s < kv->bank_size; s += f->sector_size)
        if (f->erase(f->ctx, base + s) != 0) return WM_E_IO;
    return 0;
}

static int write_header(const wm_kv *kv, uint32_t base, uint32_t seq)
{
    uint8_t h[8];
    wm_sb_put_le32(h, KV_MAGIC);
    wm_sb_put_le32(h + 4, seq);
    return kv->flash->program(kv->flash->ctx, base, h, 8) == 0 ? 0 : WM_E_IO;
}

int wm_kv_mount(wm_kv *kv, const wm_flash_ops *flash)
{
    if (!kv || !flash || flash->sector_size == 0 || flash->size / flash->sector_size < 2u)
        return WM_E_INVAL;
    kv->flash = flash;
    kv->bank_size = (flash->size / flash->sector_size / 2u) * flash->sector_size;
    wm_sb_mem_set(kv->usage, 0, sizeof kv->usage);
    kv->usage_next = 0;
    uint32_t best = 0, best_seq = 0;
    bool any = false;
    for (uint32_t b = 0; b < 2; b++) {
        uint8_t h[8];
        uint32_t base = b * kv->bank_size;
        if (rd(kv, base, h, 8)) return WM_E_IO;
        uint32_t seq = wm_sb_le32(h + 4);
        if (wm_sb_le32(h) != KV_MAGIC || seq == 0xFFFFFFFFu) continue;
        if (!any || seq > best_seq) {
            best = base;
            best_seq = seq;
            any = true;
        }
    }
    if (!any) {
        if (erase_bank(kv, 0) || write_header(kv, 0, 1)) return WM_E_IO;
        best = 0;
        best_seq = 1;
    }
    kv->active = best;
    kv->seq = best_seq;
    return scan_end(kv);
}

/* Appends one record at kv->end; WM_E_NOSPACE if the bank has no room. */
static int append(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
                  uint32_t key_len, const uint8_t *val, uint32_t val_len, bool tomb)
{
    uint8_t buf[KV_REC_MAX];
    uint32_t data = ns_len + key_len + val_len;
    uint32_t size = 16u + pad8(data);
    if (kv->active + kv->bank_size - kv->end < size) return WM_E_NOSPACE;
    wm_sb_mem_set(buf, 0, size);
    buf[0] = (uint8_t)ns_len;
    buf[1] = (uint8_t)key_len;
    buf[2] = (uint8_t)(tomb ? 0xFFu : val_len);
    buf[3] = (uint8_t)(tomb ? 0xFFu : val_len >> 8);
    wm_sb_mem_copy(buf + 8, ns, ns_len);
    wm_sb_mem_copy(buf + 8 + ns_len, key, key_len);
    if (val_len) wm_sb_mem_copy(buf + 8 + ns_len + key_len, val, val_len);
    wm_sb_put_le32(buf + size - 8u, wm_crc32(0, buf, 8u + data));
    const wm_flash_ops *f = kv->flash;
    uint32_t at = kv->end;
    /* Whatever happens now, the space is used: never program these slots twice. */
    kv->end += size;
    if (f->program(f->ctx, at, buf, size - 8u) != 0) return WM_E_IO;
    if (f->program(f->ctx, at + size - 8u, buf + size - 8u, 8) != 0) return WM_E_IO;
    return 0;
}

/* Copies the live records to the other bank and switches to it. */
static int compact(wm_kv *kv)
{
    uint32_t other = kv->active == 0 ? kv->bank_size : 0u;
    if (erase_bank(kv, other)) return WM_E_IO;
    uint32_t out = other + 8u;
    kv_rec r;
    int rc;
    uint8_t buf[KV_REC_MAX];
    for (uint32_t at = kv->active + 8u; at < kv->end && (rc = next_rec(kv, at, &r)) != 0;
         at += r.size) {
        if (rc < 0) return rc;
        bool live;
        if (is_live(kv, &r, &live)) return WM_E_IO;
        if (!live) continue;
        if (rd(kv, r.at, buf, r.size)) return WM_E_IO;
        if (kv->flash->program(kv->flash->ctx, out, buf, r.size) != 0) return WM_E_IO;
        out += r.size;
    }
    if (write_header(kv, other, kv->seq + 1u)) return WM_E_IO;
    kv->active = other;
    kv->seq++;
    kv->end = out;
    return 0;
}

int wm_kv_get(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
              uint32_t key_len, uint8_t *buf, uint32_t cap)
{
    kv_rec r;
    bool found;
    if (find(kv, ns, ns_len, key, key_len, &r, &found)) return WM_E_IO;
    if (!found || r.val_len == KV_TOMB) return WM_E_NOTFOUND;
    if (r.val_len <= cap && r.val_len > 0 &&
        rd(kv, r.at + 8u + ns_len + key_len, buf, r.val_len))
        return WM_E_IO;
    return r.val_len;
}

static wm_kv_usage_entry *usage_entry(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    for (uint32_t i = 0; i < WM_KV_USAGE_CACHE; i++) {
        wm_kv_usage_entry *e = &kv->usage[i];
        if (e->ns_len == ns_len && ns_len > 0 && wm_sb_mem_eq(e->ns, ns, ns_len)) return e;
    }
    return NULL;
}

static void usage_forget(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    wm_kv_usage_entry *e = usage_entry(kv, ns, ns_len);
    if (e) e->ns_len = 0;
}

/* The full scan: every live record of the namespace. */
static int usage_scan(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    uint32_t total = 0;
    kv_rec r;
    int rc;
    for (uint32_t at = kv->active + 8u; at < kv->end && (rc = next_rec(kv, at, &r)) != 0;
         at += r.size) {
        if (rc < 0) return rc;
        bool m, live;
        if (!r.valid) continue;
        if (rec_is(kv, &r, ns, ns_len, NULL, 0, &m)) return WM_E_IO;
        if (!m) continue;
        if (is_live(kv, &r, &live)) return WM_E_IO;
        if (live) total += (uint32_t)r.key_len + r.val_len;
    }
    return (int)total;
}

int wm_kv_usage(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    wm_kv_usage_entry *e = usage_entry(kv, ns, ns_len);
    if (e) return (int)e->used;
    int used = usage_scan(kv, ns, ns_len);
    if (used < 0 || ns_len == 0 || ns_len > sizeof e->ns) return used;
    e = &kv->usage[kv->usage_next];
    kv->usage_next = (kv->usage_next + 1u) % WM_KV_USAGE_CACHE;
    e->ns_len = (uint8_t)ns_len;
    wm_sb_mem_copy(e->ns, ns, ns_len);
    e->used = (uint32_t)used;
    return used;
}

/* After a set or delete changed the namespace by `old` -> `now` bytes. */
static void usage_update(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, uint32_t old,
                         uint32_t now)
{
    wm_kv_usage_entry *e = usage_entry(kv, ns, ns_len);
    if (e) e->used = e->used - old + now;
}

static int append_or_compact(wm_kv *kv, const uint8_t *ns, uint32_t ns_len,
                             const uint8_t *key, uint32_t key_len, const uint8_t *val,
                             uint32_t val_len, bool tomb)
{
    int rc = append(kv, ns, ns_len, key, key_len, val, val_len, tomb);
    if (rc != WM_E_NOSPACE) return rc;
    if (compact(kv)) return WM_E_IO;
    rc = append(kv, ns, ns_len, key, key_len, val, val_len, tomb);
    return rc == WM_E_NOSPACE ? WM_E_IO : rc;
}

int wm_kv_set(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
              uint32_t key_len, const uint8_t *val, uint32_t val_len, uint32_t quota)
{
    kv_rec r;
    bool found;
    if (find(kv, ns, ns_len, key, key_len, &r, &found)) return WM_E_IO;
    uint32_t old = (found && r.val_len != KV_TOMB) ? key_len + r.val_len : 0u;
    int used = wm_kv_usage(kv, ns, ns_len);
    if (used < 0) return used;
    if ((uint64_t)(uint32_t)used - old + key_len + val_len > quota) return WM_E_QUOTA;
    int rc = append_or_compact(kv, ns, ns_len, key, key_len, val, val_len, false);
    if (rc == 0)
        usage_update(kv, ns, ns_len, old, key_len + val_len);
    else
        usage_forget(kv, ns, ns_len); /* a failed write may or may not have landed */
    return rc;
}

int wm_kv_delete(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
                 uint32_t key_len)
{
    kv_rec r;
    bool found;
    if (find(kv, ns, ns_len, key, key_len, &r, &found)) return WM_E_IO;
    if (!found || r.val_len == KV_TOMB) return WM_E_NOTFOUND;
    int rc = append_or_compact(kv, ns, ns_len, key, key_len, NULL, 0, true);
    if (rc == 0)
        usage_update(kv, ns, ns_len, key_len + r.val_len, 0);
    else
        usage_forget(kv, ns, ns_len);
    return rc;
}

int wm_kv_clear_ns(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    /* Delete one live key at a time and rescan: a delete may compact the log under us. */
    for (;;) {
        kv_rec r;
        int rc;
        bool hit = false;
        uint8_t key[WM_KV_KEY_MAX];
        uint8_t key_len = 0;
        for (uint32_t at = kv->active + 8u; at < kv->end && (rc = next_rec(kv, at, &r)) != 0;
             at += r.size) {
            bool m, live;
            if (rc < 0) return rc;
            if (!r.valid) continue;
            if (rec_is(kv, &r, ns, ns_len, NULL, 0, &m)) return WM_E_IO;
            if (!m) continue;
            if (is_live(kv, &r, &live)) return WM_E_IO;
            if (!live) continue;
            key_len = r.key_len;
            if (rd(kv, r.at + 8u + ns_len, key, key_len)) return WM_E_IO;
            hit = true;
            break;
        }
        if (!hit) return 0;
        rc = wm_kv_delete(kv, ns, ns_len, key, key_len);
        if (rc != 0) return rc;
    }
}
