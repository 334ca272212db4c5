#include "kv.h"

#include "wm_crc32.h"
#include "sb_api.h"
#include "sb_util.h"

#define KV_MAGIC 0x31564B57u /* "WKV1" */
#define KV_TOMB 0xFFFFu
#define KV_ID_MAX (WM_KV_NS_MAX + WM_KV_KEY_MAX)
/* Work charged per record a scan looks at, in the flash bytes of wm_kv.work (a record
 * looked at costs the CPU about what programming 32 bytes does). */
#define WM_KV_VISIT_WORK 32u

typedef struct {
    uint32_t at; /* record offset in the region */
    uint32_t size;
    uint8_t ns_len, key_len;
    uint16_t val_len;
} kv_rec;

/* What a write does: set (tomb false) or delete one key; or leave a whole namespace out
 * of a compaction (key NULL, clear). */
typedef struct {
    const uint8_t *ns;
    uint32_t ns_len;
    const uint8_t *key;
    uint32_t key_len;
    const uint8_t *val;
    uint32_t val_len;
    bool tomb;
} kv_op;

static int rd(const wm_kv *kv, uint32_t addr, uint8_t *buf, uint32_t len)
{
    if (kv->flash->mapped) {
        wm_memcpy(buf, kv->flash->mapped + addr, len);
        return 0;
    }
    return kv->flash->read(kv->flash->ctx, addr, buf, len) == 0 ? 0 : WM_E_IO;
}

/* `len` bytes at `addr`: in place when the flash is mapped, else read into `copy`; NULL
 * on a read error. */
static const uint8_t *view(const wm_kv *kv, uint32_t addr, uint32_t len, uint8_t *copy)
{
    if (kv->flash->mapped) return kv->flash->mapped + addr;
    return kv->flash->read(kv->flash->ctx, addr, copy, len) == 0 ? copy : NULL;
}

static uint32_t pad8(uint32_t n) { return (n + (WM_KV_ALIGN - 1u)) & ~(WM_KV_ALIGN - 1u); }

uint32_t wm_kv_record_bytes(uint32_t ns_len, uint32_t key_len, uint32_t val_len)
{
    return WM_KV_RECORD_OVERHEAD + pad8(ns_len + key_len + val_len);
}

static bool all_ff(const uint8_t *p, uint32_t n)
{
    uint8_t acc = 0xFF;
    for (uint32_t i = 0; i < n; i++) acc &= p[i];
    return acc == 0xFF;
}

static bool is_system(const uint8_t *ns, uint32_t ns_len) { return ns_len > 0 && ns[0] == '#'; }

static uint32_t bank_end(const wm_kv *kv) { return kv->active + kv->bank_size; }

/* The shape of the record at `at` (its header only; see rec_valid): 1 if there is one, 0 at
 * the end of the log, <0 on a read error. A header that cannot be a record ends the log
 * (scan_end then treats the bank as full, so the next write compacts). */
static int next_hdr(wm_kv *kv, uint32_t at, kv_rec *r)
{
    uint8_t copy[8];
    if (bank_end(kv) - at < WM_KV_RECORD_OVERHEAD) return 0;
    const uint8_t *h = view(kv, at, 8, copy);
    if (!h) return WM_E_IO;
    if (all_ff(h, 8)) return 0;
    kv->work += WM_KV_VISIT_WORK; /* scanning is work too: charged like flash bytes */
    r->at = at;
    r->ns_len = h[0];
    r->key_len = h[1];
    r->val_len = wm_ld16(h + 2);
    uint32_t vlen = r->val_len == KV_TOMB ? 0u : r->val_len;
    if (r->ns_len == 0 || r->ns_len > WM_KV_NS_MAX || r->key_len == 0 ||
        r->key_len > WM_KV_KEY_MAX || vlen > WM_KV_VALUE_MAX || wm_ld32(h + 4) != 0)
        return 0;
    r->size = wm_kv_record_bytes(r->ns_len, r->key_len, vlen);
    return bank_end(kv) - at < r->size ? 0 : 1;
}

/* Whether the record's commit CRC matches (only a committed record counts). */
static int rec_valid(const wm_kv *kv, const kv_rec *r, bool *valid)
{
    uint8_t copy[WM_KV_RECORD_MAX];
    uint32_t data =
        (uint32_t)r->ns_len + r->key_len + (r->val_len == KV_TOMB ? 0u : (uint32_t)r->val_len);
    const uint8_t *buf = view(kv, r->at, r->size, copy);
    if (!buf) return WM_E_IO;
    const uint8_t *c = buf + r->size - 8u;
    *valid = wm_ld32(c) == wm_crc32(0, buf, 8u + data) && wm_ld32(c + 4) == 0;
    return 0;
}

/* Whether the record is (ns, key); key NULL: any key of ns. */
static int rec_is(const wm_kv *kv, const kv_rec *r, const uint8_t *ns, uint32_t ns_len,
                  const uint8_t *key, uint32_t key_len, bool *match)
{
    uint8_t copy[KV_ID_MAX];
    *match = false;
    if (r->ns_len != ns_len || (key && r->key_len != key_len)) return 0;
    const uint8_t *buf = view(kv, r->at + 8u, (uint32_t)r->ns_len + r->key_len, copy);
    if (!buf) return WM_E_IO;
    *match = wm_memeq(buf, ns, ns_len) && (!key || wm_memeq(buf + ns_len, key, key_len));
    return 0;
}

/* ---- superseded records: a bit per 8-byte slot of the active bank ---- */

static uint32_t slot_of(const wm_kv *kv, uint32_t at) { return (at - kv->active) / WM_KV_ALIGN; }

static bool is_dead(const wm_kv *kv, uint32_t at)
{
    uint32_t i = slot_of(kv, at);
    return (kv->dead[i >> 3] >> (i & 7u)) & 1u;
}

static void mark_dead(wm_kv *kv, uint32_t at)
{
    uint32_t i = slot_of(kv, at);
    kv->dead[i >> 3] |= (uint8_t)(1u << (i & 7u));
}

/* The current record of (ns, key): the last valid one no later valid record superseded
 * (possibly a delete); found=false if none. Superseded records are skipped unread. */
static int find(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len,
                kv_rec *out, bool *found)
{
    *found = false;
    kv_rec r;
    int rc;
    for (uint32_t at = kv->active + WM_KV_HEADER_BYTES;
         at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
        bool m, valid;
        if (rc < 0) return rc;
        if (is_dead(kv, r.at)) continue;
        if (rec_is(kv, &r, ns, ns_len, key, key_len, &m)) return WM_E_IO;
        if (!m) continue;
        if (rec_valid(kv, &r, &valid)) return WM_E_IO;
        if (!valid) continue;
        *out = r;
        *found = true;
    }
    return 0;
}

/* True if `r` holds a value nothing superseded: valid, not a delete, not marked dead. */
static int is_live(const wm_kv *kv, const kv_rec *r, bool *live)
{
    bool valid = false;
    *live = false;
    if (r->val_len == KV_TOMB || is_dead(kv, r->at)) return 0;
    if (rec_valid(kv, r, &valid)) return WM_E_IO;
    *live = valid;
    return 0;
}

/* FNV-1a of the record's namespace and key (the id), read into id[]. */
static int rec_hash(const wm_kv *kv, const kv_rec *r, uint8_t id[KV_ID_MAX], uint32_t *h)
{
    uint32_t n = (uint32_t)r->ns_len + r->key_len, x = 2166136261u;
    if (rd(kv, r->at + 8u, id, n)) return WM_E_IO;
    for (uint32_t i = 0; i < n; i++) x = (x ^ id[i]) * 16777619u;
    *h = x;
    return 0;
}

#define DEAD_TABLE 256u /* slots of the mount's hash table (1 KiB of stack) */
#define DEAD_FILL 192u  /* ids per pass before the table counts as full */
#define DEAD_EMPTY 0xFFFFFFFFu

/* Marks every superseded record: walking the log in order, a valid record supersedes the
 * last valid record of its id, found in a small hash table of ids (each entry the record's
 * slot and 16 bits of the id's hash, so a probe reads flash only on a likely match). The
 * ids are split by hash into as many passes as the table needs (1, 2, 4...: a 32 KiB bank
 * holds at most 1365 records), so the cost is a few passes over the log, not one per
 * record. Records beyond the end or not valid (torn) supersede nothing. */
static int find_dead(wm_kv *kv)
{
    kv_rec r;
    int rc;
    wm_memset(kv->dead, 0, sizeof kv->dead);
    /* one pass while the ids fit the table, more (doubling) when they do not */
    for (uint32_t passes = 1;; passes *= 2u) {
        bool full = false;
        for (uint32_t p = 0; p < passes && !full; p++) {
            uint32_t table[DEAD_TABLE]; /* slot << 16 | hash tag, or DEAD_EMPTY */
            uint32_t used = 0;
            for (uint32_t i = 0; i < DEAD_TABLE; i++) table[i] = DEAD_EMPTY;
            for (uint32_t at = kv->active + WM_KV_HEADER_BYTES;
                 at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
                uint8_t id[KV_ID_MAX];
                uint32_t h;
                bool valid;
                if (rc < 0) return rc;
                if (rec_hash(kv, &r, id, &h)) return WM_E_IO;
                if (h % passes != p) continue;
                if (rec_valid(kv, &r, &valid)) return WM_E_IO;
                if (!valid) continue;
                uint32_t tag = h >> 16, j = (h / passes) % DEAD_TABLE;
                bool same = false;
                while (table[j] != DEAD_EMPTY) { /* (never full: at most DEAD_FILL used) */
                    kv_rec old;
                    if ((table[j] & 0xFFFFu) == tag) {
                        if (next_hdr(kv, kv->active + (table[j] >> 16) * WM_KV_ALIGN, &old) <= 0 ||
                            rec_is(kv, &old, id, r.ns_len, id + r.ns_len, r.key_len, &same))
                            return WM_E_IO;
                        if (same) break;
                    }
                    j = (j + 1u) % DEAD_TABLE;
                }
                if (same) {
                    mark_dead(kv, kv->active + (table[j] >> 16) * WM_KV_ALIGN);
                } else if (++used > DEAD_FILL) {
                    full = true; /* more ids than this pass can hold: more passes */
                    break;
                }
                table[j] = slot_of(kv, r.at) << 16 | tag;
            }
        }
        if (!full) return 0;
        wm_memset(kv->dead, 0, sizeof kv->dead);
    }
}

/* Counts the live bytes of module and '#' namespaces (one pass). */
static int count_totals(wm_kv *kv)
{
    kv_rec r;
    int rc;
    uint32_t mod = 0, sys = 0;
    for (uint32_t at = kv->active + WM_KV_HEADER_BYTES;
         at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
        bool live;
        uint8_t first;
        if (rc < 0) return rc;
        if (is_live(kv, &r, &live)) return WM_E_IO;
        if (!live) continue;
        if (rd(kv, r.at + 8u, &first, 1)) return WM_E_IO;
        if (is_system(&first, 1))
            sys += r.size;
        else
            mod += r.size;
    }
    kv->module_live = mod;
    kv->system_live = sys;
    kv->totals_ok = true;
    return 0;
}

static int totals(wm_kv *kv) { return kv->totals_ok ? 0 : count_totals(kv); }

static int scan_end(wm_kv *kv)
{
    kv_rec r;
    uint32_t at = kv->active + WM_KV_HEADER_BYTES;
    int rc;
    kv->end = bank_end(kv); /* while scanning, lookups may look everywhere */
    while ((rc = next_hdr(kv, at, &r)) > 0) at += r.size;
    if (rc < 0) return rc;
    /* A header that is not all 0xFF but no record: the rest of the bank is unusable. A
     * write torn by a power cut is the last thing written (the next write compacts), so
     * it leaves at most one record's worth of bytes: anything written beyond that is
     * damage in the middle of the log, and the records there are lost. */
    uint8_t h[8];
    kv->damaged = false;
    if (bank_end(kv) - at >= 8u) {
        if (rd(kv, at, h, 8)) return WM_E_IO;
        if (!all_ff(h, 8)) {
            for (uint32_t p = at + WM_KV_RECORD_MAX; p + 8u <= bank_end(kv); p += 8u) {
                if (rd(kv, p, h, 8)) return WM_E_IO;
                if (!all_ff(h, 8)) {
                    kv->damaged = true;
                    kv->damaged_at = at;
                    break;
                }
            }
            at = bank_end(kv);
        }
    }
    kv->end = at;
    return 0;
}

static int erase_bank(wm_kv *kv, uint32_t base)
{
    const wm_flash_ops *f = kv->flash;
    for (uint32_t s = 0; s < kv->bank_size; s += f->sector_size) {
        kv->erases++;
        kv->work += f->sector_size;
        if (f->erase(f->ctx, base + s) != 0) return WM_E_IO;
    }
    return 0;
}

static int program(wm_kv *kv, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    kv->work += len;
    return kv->flash->program(kv->flash->ctx, addr, buf, len) == 0 ? 0 : WM_E_IO;
}

static int write_header(wm_kv *kv, uint32_t base, uint32_t seq)
{
    uint8_t h[8];
    wm_st32(h, KV_MAGIC);
    wm_st32(h + 4, seq);
    return program(kv, base, h, 8);
}

static void usage_reset(wm_kv *kv)
{
    wm_memset(kv->usage, 0, sizeof kv->usage);
    kv->usage_next = 0;
}

int wm_kv_mount(wm_kv *kv, const wm_flash_ops *flash)
{
    if (!kv || !flash || flash->sector_size == 0 || flash->size / flash->sector_size < 2u ||
        flash->size / flash->sector_size / 2u * flash->sector_size > WM_KV_BANK_MAX)
        return WM_E_INVAL;
    kv->flash = flash;
    kv->bank_size = (flash->size / flash->sector_size / 2u) * flash->sector_size;
    kv->module_pool = kv->bank_size - WM_KV_HEADER_BYTES;
    kv->totals_ok = false;
    kv->erases = kv->compactions = kv->work = 0;
    usage_reset(kv);
    uint32_t best = 0, best_seq = 0;
    bool any = false;
    for (uint32_t b = 0; b < 2; b++) {
        uint8_t h[8];
        uint32_t base = b * kv->bank_size;
        if (rd(kv, base, h, 8)) return WM_E_IO;
        uint32_t seq = wm_ld32(h + 4);
        if (wm_ld32(h) != KV_MAGIC || seq == 0xFFFFFFFFu) continue;
        if (!any || seq > best_seq) {
            best = base;
            best_seq = seq;
            any = true;
        }
    }
    kv->active = best;
    if (!any) {
        if (erase_bank(kv, 0) || write_header(kv, 0, 1)) return WM_E_IO;
        best_seq = 1;
    }
    kv->seq = best_seq;
    int rc = scan_end(kv);
    if (rc == 0) rc = find_dead(kv);
    return rc ? rc : count_totals(kv);
}

uint32_t wm_kv_capacity(const wm_kv *kv) { return kv->bank_size - WM_KV_HEADER_BYTES; }

void wm_kv_set_module_pool(wm_kv *kv, uint32_t bytes)
{
    kv->module_pool = bytes < wm_kv_capacity(kv) ? bytes : wm_kv_capacity(kv);
}

int wm_kv_module_live(wm_kv *kv)
{
    int rc = totals(kv);
    return rc ? rc : (int)kv->module_live;
}

/* Builds the record of `op` in buf; returns its size. */
static uint32_t encode(const kv_op *op, uint8_t buf[WM_KV_RECORD_MAX])
{
    uint32_t vlen = op->tomb ? 0u : op->val_len;
    uint32_t data = op->ns_len + op->key_len + vlen;
    uint32_t size = wm_kv_record_bytes(op->ns_len, op->key_len, vlen);
    wm_memset(buf, 0, size);
    buf[0] = (uint8_t)op->ns_len;
    buf[1] = (uint8_t)op->key_len;
    buf[2] = (uint8_t)(op->tomb ? 0xFFu : vlen);
    buf[3] = (uint8_t)(op->tomb ? 0xFFu : vlen >> 8);
    wm_memcpy(buf + 8, op->ns, op->ns_len);
    wm_memcpy(buf + 8 + op->ns_len, op->key, op->key_len);
    if (vlen) wm_memcpy(buf + 8 + op->ns_len + op->key_len, op->val, vlen);
    wm_st32(buf + size - 8u, wm_crc32(0, buf, 8u + data));
    return size;
}

/* Programs a record at `at`: data first, the commit slot last. */
static int program_record(wm_kv *kv, uint32_t at, const uint8_t *buf, uint32_t size)
{
    if (program(kv, at, buf, size - 8u)) return WM_E_IO;
    return program(kv, at + size - 8u, buf + size - 8u, 8);
}

/* Copies the live records to the other bank except those `op` replaces or deletes (its key;
 * with op->key NULL its whole namespace), then the record of `op` if it sets a value, and
 * programs the new bank's header last: until then the old bank is the valid one. */
static int compact(wm_kv *kv, const kv_op *op)
{
    uint32_t other = kv->active == 0 ? kv->bank_size : 0u;
    uint32_t limit = other + kv->bank_size, out = other + WM_KV_HEADER_BYTES;
    uint32_t mod = 0, sys = 0;
    uint8_t buf[WM_KV_RECORD_MAX];
    kv->compactions++;
    if (erase_bank(kv, other)) return WM_E_IO;
    kv_rec r;
    int rc;
    for (uint32_t at = kv->active + WM_KV_HEADER_BYTES;
         at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
        bool live, left_out;
        if (rc < 0) return rc;
        if (is_live(kv, &r, &live)) return WM_E_IO;
        if (!live) continue;
        if (rec_is(kv, &r, op->ns, op->ns_len, op->key, op->key_len, &left_out)) return WM_E_IO;
        if (left_out) continue;
        /* more live data than a bank holds (a store written by other rules): the write
         * fails and the old bank stays */
        if (limit - out < r.size) return WM_E_IO;
        if (rd(kv, r.at, buf, r.size) || program(kv, out, buf, r.size)) return WM_E_IO;
        out += r.size;
        if (is_system(buf + 8, r.ns_len))
            sys += r.size;
        else
            mod += r.size;
    }
    if (op->key && !op->tomb) {
        uint32_t size = encode(op, buf);
        if (limit - out < size) return WM_E_IO;
        if (program_record(kv, out, buf, size)) return WM_E_IO;
        out += size;
        if (is_system(op->ns, op->ns_len))
            sys += size;
        else
            mod += size;
    }
    if (write_header(kv, other, kv->seq + 1u)) return WM_E_IO;
    kv->active = other;
    kv->seq++;
    kv->end = out;
    wm_memset(kv->dead, 0, sizeof kv->dead); /* everything copied is live */
    kv->module_live = mod;
    kv->system_live = sys;
    kv->totals_ok = true;
    return 0;
}

/* Appends the record of `op`, or compacts with it when it does not fit. `cur` is the key's
 * current record (NULL: none), which the new one supersedes once it is written whole. */
static int apply(wm_kv *kv, const kv_op *op, const kv_rec *cur)
{
    uint8_t buf[WM_KV_RECORD_MAX];
    uint32_t size = encode(op, buf);
    if (bank_end(kv) - kv->end < size) return compact(kv, op);
    uint32_t at = kv->end;
    /* Whatever happens now, the space is used: never program these slots twice. */
    kv->end += size;
    int rc = program_record(kv, at, buf, size);
    if (rc == 0 && cur != NULL) mark_dead(kv, cur->at);
    return rc;
}

int wm_kv_get(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len,
              uint8_t *buf, uint32_t cap)
{
    kv_rec r;
    bool found;
    kv->work = 0;
    if (find(kv, ns, ns_len, key, key_len, &r, &found)) return WM_E_IO;
    if (!found || r.val_len == KV_TOMB) return WM_E_NOTFOUND;
    if (r.val_len <= cap && r.val_len > 0 && rd(kv, r.at + 8u + ns_len + key_len, buf, r.val_len))
        return WM_E_IO;
    return r.val_len;
}

int wm_kv_torn(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len)
{
    kv_rec r;
    int rc;
    bool any = false, valid = false;
    for (uint32_t at = kv->active + WM_KV_HEADER_BYTES;
         at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
        bool m;
        if (rc < 0) return rc;
        if (rec_is(kv, &r, ns, ns_len, key, key_len, &m)) return WM_E_IO;
        if (m && rec_valid(kv, &r, &valid)) return WM_E_IO;
        any = any || m;
    }
    return any && !valid ? 1 : 0;
}

static wm_kv_usage_entry *usage_entry(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    for (uint32_t i = 0; i < WM_KV_USAGE_CACHE; i++) {
        wm_kv_usage_entry *e = &kv->usage[i];
        if (e->ns_len == ns_len && ns_len > 0 && wm_memeq(e->ns, ns, ns_len)) return e;
    }
    return NULL;
}

/* The full scan: every live record of the namespace. */
static int usage_scan(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    uint32_t total = 0;
    kv_rec r;
    int rc;
    for (uint32_t at = kv->active + WM_KV_HEADER_BYTES;
         at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
        bool m, live;
        if (rc < 0) return rc;
        if (rec_is(kv, &r, ns, ns_len, NULL, 0, &m)) return WM_E_IO;
        if (!m) continue;
        if (is_live(kv, &r, &live)) return WM_E_IO;
        if (live) total += r.size;
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
    wm_memcpy(e->ns, ns, ns_len);
    e->used = (uint32_t)used;
    return used;
}

/* After a write changed the namespace's live bytes from `old` to `now`. A compaction counted
 * the totals afresh; an append adjusts them. */
static void account(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, uint32_t old, uint32_t now,
                    bool compacted)
{
    wm_kv_usage_entry *e = usage_entry(kv, ns, ns_len);
    if (e) e->used = e->used - old + now;
    if (compacted || !kv->totals_ok) return;
    if (is_system(ns, ns_len))
        kv->system_live = kv->system_live - old + now;
    else
        kv->module_live = kv->module_live - old + now;
}

/* A failed write may or may not have landed: count again when next needed. */
static void forget(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    wm_kv_usage_entry *e = usage_entry(kv, ns, ns_len);
    if (e) e->ns_len = 0;
    kv->totals_ok = false;
    (void)find_dead(kv); /* the record may be whole: it then supersedes the old one */
}

static bool lengths_ok(uint32_t ns_len, uint32_t key_len)
{
    return ns_len >= 1u && ns_len <= WM_KV_NS_MAX && key_len >= 1u && key_len <= WM_KV_KEY_MAX;
}

int wm_kv_set(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len,
              const uint8_t *val, uint32_t val_len, uint32_t quota)
{
    kv_rec r;
    bool found;
    kv->work = 0;
    if (!lengths_ok(ns_len, key_len) || val_len > WM_KV_VALUE_MAX) return WM_E_INVAL;
    if (find(kv, ns, ns_len, key, key_len, &r, &found) || totals(kv)) return WM_E_IO;
    uint32_t old = (found && r.val_len != KV_TOMB) ? r.size : 0u;
    uint32_t now = wm_kv_record_bytes(ns_len, key_len, val_len);
    int used = wm_kv_usage(kv, ns, ns_len);
    if (used < 0) return used;
    if ((uint64_t)(uint32_t)used - old + now > quota) return WM_E_QUOTA;
    /* the firmware's namespaces may use the whole bank, modules only their pool */
    uint64_t after = is_system(ns, ns_len) ? (uint64_t)kv->module_live + kv->system_live - old + now
                                           : (uint64_t)kv->module_live - old + now;
    uint32_t limit = is_system(ns, ns_len) ? wm_kv_capacity(kv) : kv->module_pool;
    if (after > limit) return WM_E_QUOTA;
    kv_op op = {ns, ns_len, key, key_len, val, val_len, false};
    uint32_t before = kv->compactions;
    int rc = apply(kv, &op, found ? &r : NULL);
    if (rc == 0)
        account(kv, ns, ns_len, old, now, kv->compactions != before);
    else
        forget(kv, ns, ns_len);
    return rc;
}

int wm_kv_delete(wm_kv *kv, const uint8_t *ns, uint32_t ns_len, const uint8_t *key,
                 uint32_t key_len)
{
    kv_rec r;
    bool found;
    kv->work = 0;
    if (!lengths_ok(ns_len, key_len)) return WM_E_INVAL;
    if (find(kv, ns, ns_len, key, key_len, &r, &found) || totals(kv)) return WM_E_IO;
    if (!found || r.val_len == KV_TOMB) return WM_E_NOTFOUND;
    kv_op op = {ns, ns_len, key, key_len, NULL, 0, true};
    uint32_t before = kv->compactions;
    int rc = apply(kv, &op, &r);
    if (rc == 0)
        account(kv, ns, ns_len, r.size, 0, kv->compactions != before);
    else
        forget(kv, ns, ns_len);
    return rc;
}

int wm_kv_clear_ns(wm_kv *kv, const uint8_t *ns, uint32_t ns_len)
{
    kv->work = 0;
    if (ns_len < 1u || ns_len > WM_KV_NS_MAX) return WM_E_INVAL;
    int used = wm_kv_usage(kv, ns, ns_len);
    if (used <= 0) return used; /* nothing to delete, or WM_E_IO */
    kv_op op = {ns, ns_len, NULL, 0, NULL, 0, true};
    int rc = compact(kv, &op);
    if (rc == 0)
        account(kv, ns, ns_len, (uint32_t)used, 0, true);
    else
        forget(kv, ns, ns_len);
    return rc;
}

int wm_kv_next_live(wm_kv *kv, uint32_t *pos, wm_kv_entry *e)
{
    kv_rec r;
    int rc;
    uint32_t at = *pos < kv->active + WM_KV_HEADER_BYTES ? kv->active + WM_KV_HEADER_BYTES : *pos;
    for (; at < kv->end && (rc = next_hdr(kv, at, &r)) != 0; at += r.size) {
        bool live;
        if (rc < 0) return rc;
        if (is_live(kv, &r, &live)) return WM_E_IO;
        if (!live) continue;
        if (rd(kv, r.at + 8u, e->ns, r.ns_len)) return WM_E_IO;
        e->ns_len = r.ns_len;
        e->key_len = r.key_len;
        e->val_len = r.val_len;
        e->bytes = r.size;
        *pos = r.at + r.size;
        return 1;
    }
    *pos = at;
    return 0;
}
