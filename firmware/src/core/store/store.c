#include "store.h"

#include "../crypto/sha256.h"
#include "wm_bytes.h"
#include "wm_crc32.h"
#include "wm_mem.h"

#define OFF_MAGIC 0u
#define OFF_GEN 4u
#define OFF_SIZE 8u
#define OFF_FLAGS 12u
#define OFF_NAME 16u
#define OFF_SHA 48u
#define OFF_CRC 80u
#define HDR_PROGRAMMED 84u /* bytes 0..83 are written in one program call */
#define OFF_COMMIT 96u
#define OFF_DELETE 104u
#define OFF_TAIL 112u /* u32 tail length, u32 its complement: one slot, programmed once */
#define ERASED32 0xFFFFFFFFu

static size_t name_len(const char *s)
{
    size_t n = 0;
    while (n <= WM_STORE_NAME_MAX && s[n] != '\0') {
        n++;
    }
    return n;
}

bool wm_store_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > WM_STORE_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static uint32_t extent(const wm_store *st, uint32_t size)
{
    uint32_t s = st->flash->sector_size;
    return ((WM_STORE_HEADER_SIZE + size) + s - 1u) / s;
}

/* Where a record's tail starts, past its image: the next 8-byte boundary. */
static uint32_t tail_start(uint32_t size) { return (size + 7u) & ~7u; }

/* Image bytes, and the tail after them (a tail of 0: none). */
static uint32_t span(uint32_t size, uint32_t tail)
{
    return tail == 0 ? size : tail_start(size) + tail;
}

static uint32_t rec_extent(const wm_store *st, const wm_store_record *r)
{
    return extent(st, span(r->size, r->tail));
}

/* The tail word as programmed: its length when the pair is consistent (a cut while it was
 * programmed leaves bits of one half set that the other half has clear), else 0. The tail
 * word is programmed before any tail byte, so a record whose word did not get through has
 * only erased sectors past its image. */
static uint32_t tail_of(const uint8_t *h, uint32_t size, uint32_t region)
{
    uint32_t len = wm_ld32(h + OFF_TAIL);
    if (len != ~wm_ld32(h + OFF_TAIL + 4u) || len == 0 || size > region ||
        len > region - tail_start(size)) {
        return 0;
    }
    return len;
}

static int mark_deleted(wm_store *st, wm_store_record *r)
{
    static const uint8_t zero[4] = {0, 0, 0, 0};
    r->state = WM_REC_DEAD;
    return st->flash->program(st->flash->ctx, r->addr + OFF_DELETE, zero, 4) == 0 ? WM_STORE_OK
                                                                                  : WM_STORE_EFLASH;
}

static void drop_record(wm_store *st, uint32_t i)
{
    for (uint32_t k = i; k + 1u < st->nrecs; k++) {
        st->recs[k] = st->recs[k + 1u];
    }
    st->nrecs--;
    if (st->pending && st->pending_idx > i) {
        st->pending_idx--;
    }
}

/* Make room in the table by forgetting a dead record (its sectors read as garbage later). */
static bool table_slot(wm_store *st)
{
    if (st->nrecs < WM_STORE_MAX_RECORDS) {
        return true;
    }
    for (uint32_t i = 0; i < st->nrecs; i++) {
        if (st->recs[i].state == WM_REC_DEAD) {
            drop_record(st, i);
            return true;
        }
    }
    return false;
}

/* Delete every live record named `name` except `keep`, oldest generation first, so that a
 * power cut part-way never resurrects an older image over a newer one. */
static int delete_older(wm_store *st, const char *name, const wm_store_record *keep)
{
    for (;;) {
        wm_store_record *oldest = NULL;
        for (uint32_t i = 0; i < st->nrecs; i++) {
            wm_store_record *r = &st->recs[i];
            if (r != keep && r->state == WM_REC_LIVE && wm_streq(r->name, name) &&
                (oldest == NULL || r->gen < oldest->gen)) {
                oldest = r;
            }
        }
        if (oldest == NULL) {
            return WM_STORE_OK;
        }
        int rc = mark_deleted(st, oldest);
        if (rc != WM_STORE_OK) {
            return rc;
        }
    }
}

/* Reads the header at sector start `pos`: if it is a record's (magic, CRC, sane name and
 * size, its extent inside the flash), sets *sectors to the record's extent and returns 1;
 * 0 if not (erased or garbage), <0 on a read error. What mount takes for a record, and so
 * skips whole. */
static int read_header(const wm_store *st, uint32_t pos, uint8_t h[WM_STORE_HEADER_SIZE],
                       uint32_t *sectors)
{
    const wm_flash_ops *f = st->flash;
    if (f->read(f->ctx, pos, h, WM_STORE_HEADER_SIZE) != 0) {
        return -1;
    }
    uint32_t size = wm_ld32(h + OFF_SIZE);
    uint32_t tail = tail_of(h, size, f->size - WM_STORE_HEADER_SIZE);
    size_t nl = name_len((const char *)h + OFF_NAME);
    *sectors = extent(st, span(size, tail));
    return wm_ld32(h + OFF_MAGIC) == WM_STORE_MAGIC &&
                   wm_ld32(h + OFF_CRC) == wm_crc32(0, h, OFF_CRC) &&
                   size <= f->size - WM_STORE_HEADER_SIZE &&
                   wm_store_name_ok((const char *)h + OFF_NAME, nl) &&
                   pos + *sectors * f->sector_size <= f->size
               ? 1
               : 0;
}

int wm_store_mount(wm_store *st, const wm_flash_ops *flash)
{
    uint32_t s = flash->sector_size;
    st->flash = flash;
    st->before_move = NULL;
    st->move_ctx = NULL;
    st->work = NULL;
    st->nrecs = 0;
    st->next_gen = 1;
    st->pending = false;
    st->pending_idx = 0;
    st->written = 0;
    st->erases = 0;
    if (s < 256u || (s & (s - 1u)) != 0 || flash->size < s || flash->size % s != 0) {
        return WM_STORE_EGEOMETRY;
    }
    uint32_t pos = 0;
    while (pos < flash->size) {
        uint8_t h[WM_STORE_HEADER_SIZE];
        uint32_t sectors;
        int got = read_header(st, pos, h, &sectors);
        if (got < 0) {
            return WM_STORE_EFLASH;
        }
        if (got == 0) {
            pos += s; /* erased or garbage sector: free for reuse */
            continue;
        }
        uint32_t size = wm_ld32(h + OFF_SIZE);
        uint32_t tail = tail_of(h, size, flash->size - WM_STORE_HEADER_SIZE);
        size_t nl = name_len((const char *)h + OFF_NAME);
        if (table_slot(st)) {
            wm_store_record *r = &st->recs[st->nrecs++];
            r->addr = pos;
            r->gen = wm_ld32(h + OFF_GEN);
            r->size = size;
            r->tail = tail;
            r->flags = wm_ld32(h + OFF_FLAGS);
            r->state = (wm_ld32(h + OFF_COMMIT) == WM_STORE_COMMITTED &&
                        wm_ld32(h + OFF_DELETE) == ERASED32)
                           ? WM_REC_LIVE
                           : WM_REC_DEAD;
            for (uint32_t k = 0; k <= WM_STORE_NAME_MAX; k++) {
                r->name[k] = k < nl ? (char)h[OFF_NAME + k] : '\0';
            }
            wm_memcpy(r->sha256, h + OFF_SHA, 32);
            if (r->gen >= st->next_gen) {
                st->next_gen = r->gen + 1u;
            }
        }
        pos += sectors * s;
    }
    /* Finish replaces a power cut interrupted: the newest generation of each name wins. */
    for (uint32_t i = 0; i < st->nrecs; i++) {
        wm_store_record *r = &st->recs[i];
        if (r->state != WM_REC_LIVE) {
            continue;
        }
        wm_store_record *newest = r;
        for (uint32_t k = 0; k < st->nrecs; k++) {
            wm_store_record *o = &st->recs[k];
            if (o->state == WM_REC_LIVE && wm_streq(o->name, r->name) && o->gen > newest->gen) {
                newest = o;
            }
        }
        int rc = delete_older(st, r->name, newest);
        if (rc != WM_STORE_OK) {
            return rc;
        }
    }
    return WM_STORE_OK;
}

/* The i-th live record in flash (address) order, as store.h promises. The table itself is
 * in mount order with installs appended, so a module installed into a freed lower run used
 * to list after higher ones until the next mount, and LIST changed order across a reboot
 * (found by fuzz/fuzz_frame.c's remount oracle; fuzz/regressions/frame/list-order). Live
 * records never share an address; at most WM_STORE_MAX_RECORDS of them, so the selection
 * stays cheap. */
static const wm_store_record *live_at(const wm_store *st, uint32_t i)
{
    const wm_store_record *r = NULL;
    for (uint32_t n = 0; n <= i; n++) {
        const wm_store_record *prev = r;
        r = NULL;
        for (uint32_t k = 0; k < st->nrecs; k++) {
            const wm_store_record *c = &st->recs[k];
            if (c->state == WM_REC_LIVE && (prev == NULL || c->addr > prev->addr) &&
                (r == NULL || c->addr < r->addr)) {
                r = c;
            }
        }
        if (r == NULL) {
            return NULL;
        }
    }
    return r;
}

uint32_t wm_store_count(const wm_store *st)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < st->nrecs; k++) {
        n += st->recs[k].state == WM_REC_LIVE ? 1u : 0u;
    }
    return n;
}

int wm_store_get(const wm_store *st, uint32_t i, wm_store_info *out)
{
    const wm_store_record *r = live_at(st, i);
    if (r == NULL) {
        return WM_STORE_ENOENT;
    }
    out->name = r->name;
    out->size = r->size;
    out->flags = r->flags;
    out->gen = r->gen;
    out->sha256 = r->sha256;
    out->tail = r->tail;
    return WM_STORE_OK;
}

int wm_store_find(const wm_store *st, const char *name, uint32_t *i)
{
    const wm_store_record *r;
    for (uint32_t k = 0; (r = live_at(st, k)) != NULL; k++) {
        if (wm_streq(r->name, name)) {
            *i = k;
            return WM_STORE_OK;
        }
    }
    return WM_STORE_ENOENT;
}

int wm_store_read(const wm_store *st, uint32_t i, uint32_t off, uint8_t *buf, uint32_t len)
{
    const wm_store_record *r = live_at(st, i);
    if (r == NULL) {
        return WM_STORE_ENOENT;
    }
    if (off > r->size || len > r->size - off) {
        return WM_STORE_EINVAL;
    }
    return st->flash->read(st->flash->ctx, r->addr + WM_STORE_HEADER_SIZE + off, buf, len) == 0
               ? WM_STORE_OK
               : WM_STORE_EFLASH;
}

const uint8_t *wm_store_image(const wm_store *st, uint32_t i)
{
    const wm_store_record *r = live_at(st, i);
    if (r == NULL || st->flash->mapped == NULL) {
        return NULL;
    }
    return st->flash->mapped + r->addr + WM_STORE_HEADER_SIZE;
}

uint32_t wm_store_capacity(const wm_store *st) { return st->flash->size; }

static bool sector_in_use(const wm_store *st, uint32_t sec)
{
    uint32_t s = st->flash->sector_size;
    for (uint32_t k = 0; k < st->nrecs; k++) {
        const wm_store_record *r = &st->recs[k];
        if (r->state == WM_REC_DEAD) {
            continue;
        }
        uint32_t first = r->addr / s;
        if (sec >= first && sec < first + rec_extent(st, r)) {
            return true;
        }
    }
    return false;
}

/* First fit among sectors below `limit`; *best gets the longest free run seen. */
static bool find_run_below(const wm_store *st, uint32_t need, uint32_t limit, uint32_t *start,
                           uint32_t *best)
{
    uint32_t nsec = limit, run = 0;
    *best = 0;
    for (uint32_t sec = 0; sec < nsec; sec++) {
        run = sector_in_use(st, sec) ? 0u : run + 1u;
        if (run > *best) {
            *best = run;
        }
        if (need > 0 && run == need) {
            *start = sec + 1u - need;
            return true;
        }
    }
    return false;
}

static bool find_run(const wm_store *st, uint32_t need, uint32_t *start, uint32_t *best)
{
    return find_run_below(st, need, st->flash->size / st->flash->sector_size, start, best);
}

uint32_t wm_store_free(const wm_store *st)
{
    uint32_t start = 0, best = 0;
    (void)find_run(st, 0, &start, &best);
    uint32_t bytes = best * st->flash->sector_size;
    return bytes > WM_STORE_HEADER_SIZE ? bytes - WM_STORE_HEADER_SIZE : 0u;
}

static int erase_if_dirty(wm_store *st, uint32_t addr)
{
    const wm_flash_ops *f = st->flash;
    uint8_t buf[64];
    for (uint32_t off = 0; off < f->sector_size; off += sizeof buf) {
        if (f->read(f->ctx, addr + off, buf, sizeof buf) != 0) {
            return WM_STORE_EFLASH;
        }
        for (uint32_t k = 0; k < sizeof buf; k++) {
            if (buf[k] != 0xFFu) {
                st->erases++;
                return f->erase(f->ctx, addr) == 0 ? WM_STORE_OK : WM_STORE_EFLASH;
            }
        }
    }
    return WM_STORE_OK;
}

/* Erase a record's sectors [first, first+n) from the last one back, its header last: until
 * then mount still skips the whole record, so its image bytes, which may hold anything
 * (a forged header too), are never scanned, whatever power cut comes in between. Sectors
 * in use are never touched. */
static int erase_back(wm_store *st, uint32_t first, uint32_t n)
{
    for (uint32_t q = n; q-- > 0;) {
        if (!sector_in_use(st, first + q) &&
            erase_if_dirty(st, (first + q) * st->flash->sector_size) != WM_STORE_OK) {
            return WM_STORE_EFLASH;
        }
    }
    return WM_STORE_OK;
}

/* Erase the run [start, start+need) sectors, and whole any record overlapping it that is
 * dead (in the table) or whose header a run sector still holds (a dead record the full
 * table forgot, table_slot), so none of their old image bytes can later be mistaken for
 * a record header: mount reads a sector past a valid header's extent as a new record. */
static int prepare_run(wm_store *st, uint32_t start, uint32_t need)
{
    uint32_t s = st->flash->sector_size;
    for (uint32_t k = 0; k < st->nrecs;) {
        wm_store_record *r = &st->recs[k];
        uint32_t first = r->addr / s, n = rec_extent(st, r);
        if (r->state == WM_REC_DEAD && first < start + need && start < first + n) {
            drop_record(st, k); /* dead: none of its sectors is in use */
            if (erase_back(st, first, n) != WM_STORE_OK) {
                return WM_STORE_EFLASH;
            }
            continue;
        }
        k++;
    }
    for (uint32_t q = 0; q < need; q++) {
        uint8_t h[WM_STORE_HEADER_SIZE];
        uint32_t sec = start + q, n;
        int got = read_header(st, sec * s, h, &n);
        if (got < 0) {
            return WM_STORE_EFLASH;
        }
        if (erase_back(st, sec, got == 1 ? n : 1u) != WM_STORE_OK) {
            return WM_STORE_EFLASH;
        }
    }
    return WM_STORE_OK;
}

/* Program an uncommitted header at `addr` and describe it in *r (state PENDING). */
static int write_header(wm_store *st, wm_store_record *r, uint32_t addr, const char *name,
                        size_t nl, uint32_t size, const uint8_t sha256[32], uint32_t flags)
{
    uint8_t h[HDR_PROGRAMMED];
    wm_memset(h, 0xFF, sizeof h);
    wm_st32(h + OFF_MAGIC, WM_STORE_MAGIC);
    wm_st32(h + OFF_GEN, st->next_gen);
    wm_st32(h + OFF_SIZE, size);
    wm_st32(h + OFF_FLAGS, flags);
    for (uint32_t k = 0; k <= WM_STORE_NAME_MAX; k++) {
        h[OFF_NAME + k] = k < nl ? (uint8_t)name[k] : 0u;
    }
    wm_memcpy(h + OFF_SHA, sha256, 32);
    wm_st32(h + OFF_CRC, wm_crc32(0, h, OFF_CRC));
    r->addr = addr;
    r->gen = st->next_gen;
    r->size = size;
    r->tail = 0;
    r->flags = flags;
    r->state = WM_REC_PENDING;
    for (uint32_t k = 0; k <= WM_STORE_NAME_MAX; k++) {
        r->name[k] = k < nl ? name[k] : '\0';
    }
    wm_memcpy(r->sha256, sha256, 32);
    if (st->flash->program(st->flash->ctx, addr, h, sizeof h) != 0) {
        return WM_STORE_EFLASH;
    }
    st->next_gen++;
    return WM_STORE_OK;
}

/* Hash the image of *r as the flash holds it; 0 if it matches r->sha256. */
static int verify_image(wm_store *st, const wm_store_record *r)
{
    wm_sha256_ctx h;
    uint8_t buf[64], digest[32];
    (void)wm_sha256_init(&h);
    for (uint32_t off = 0; off < r->size; off += sizeof buf) {
        uint32_t n = r->size - off < sizeof buf ? r->size - off : (uint32_t)sizeof buf;
        if (st->flash->read(st->flash->ctx, r->addr + WM_STORE_HEADER_SIZE + off, buf, n) != 0) {
            return WM_STORE_EFLASH;
        }
        (void)wm_sha256_update(&h, buf, n);
        wm_work_charge(st->work, n);
    }
    if (wm_sha256_final(&h, digest) != WM_CRYPTO_OK || !wm_memeq(digest, r->sha256, 32)) {
        return WM_STORE_EHASH;
    }
    return WM_STORE_OK;
}

static int program_commit(wm_store *st, wm_store_record *r)
{
    uint8_t word[4], back[4];
    wm_st32(word, WM_STORE_COMMITTED);
    if (st->flash->program(st->flash->ctx, r->addr + OFF_COMMIT, word, 4) != 0 ||
        st->flash->read(st->flash->ctx, r->addr + OFF_COMMIT, back, 4) != 0 ||
        wm_ld32(back) != WM_STORE_COMMITTED) {
        return WM_STORE_EFLASH;
    }
    r->state = WM_REC_LIVE;
    return WM_STORE_OK;
}

static int copy_bytes(wm_store *st, uint32_t from, uint32_t to, uint32_t len)
{
    uint8_t buf[64];
    for (uint32_t off = 0; off < len; off += sizeof buf) {
        uint32_t n = len - off < sizeof buf ? len - off : (uint32_t)sizeof buf;
        if (st->flash->read(st->flash->ctx, from + off, buf, n) != 0 ||
            st->flash->program(st->flash->ctx, to + off, buf, n) != 0) {
            return WM_STORE_EFLASH;
        }
    }
    return WM_STORE_OK;
}

/* Claims `len` tail bytes for record *r: from here on its extent covers them, on flash
 * (a mount reads the word) as in RAM. */
static int program_tail_word(wm_store *st, wm_store_record *r, uint32_t len)
{
    uint8_t word[8];
    wm_st32(word, len);
    wm_st32(word + 4, ~len);
    r->tail = len;
    return st->flash->program(st->flash->ctx, r->addr + OFF_TAIL, word, 8) == 0 ? WM_STORE_OK
                                                                                : WM_STORE_EFLASH;
}

/* Copy live record `addr` to the free run at `dest` (sectors) as a new generation, commit
 * it, then delete the old copy: the same steps and the same power-cut argument as a
 * replace, and both copies hold identical bytes. */
static int move_record(wm_store *st, uint32_t addr, uint32_t dest)
{
    uint32_t s = st->flash->sector_size;
    wm_store_record old = {0, 0, 0, 0, 0, 0, {0}, {0}};
    for (uint32_t k = 0; k < st->nrecs; k++) {
        if (st->recs[k].addr == addr && st->recs[k].state == WM_REC_LIVE) {
            old = st->recs[k];
        }
    }
    if (old.state != WM_REC_LIVE) {
        return WM_STORE_ENOENT;
    }
    if (st->before_move != NULL) {
        st->before_move(st->move_ctx);
    }
    int rc = prepare_run(st, dest, rec_extent(st, &old));
    if (rc != WM_STORE_OK) {
        return rc;
    }
    if (!table_slot(st)) {
        return WM_STORE_ENOSPC;
    }
    wm_store_record *nr = &st->recs[st->nrecs];
    rc = write_header(st, nr, dest * s, old.name, name_len(old.name), old.size, old.sha256,
                      old.flags);
    if (rc != WM_STORE_OK) {
        return rc;
    }
    st->nrecs++;
    rc = copy_bytes(st, old.addr + WM_STORE_HEADER_SIZE, nr->addr + WM_STORE_HEADER_SIZE, old.size);
    if (rc == WM_STORE_OK && old.tail > 0) {
        /* the tail moves with its image, under the same commit */
        uint32_t to = tail_start(old.size);
        rc = program_tail_word(st, nr, old.tail);
        if (rc == WM_STORE_OK) {
            rc = copy_bytes(st, old.addr + WM_STORE_HEADER_SIZE + to,
                            nr->addr + WM_STORE_HEADER_SIZE + to, old.tail);
        }
    }
    if (rc != WM_STORE_OK) {
        nr->state = WM_REC_DEAD;
        return rc;
    }
    rc = verify_image(st, nr);
    if (rc == WM_STORE_OK) {
        rc = program_commit(st, nr);
    }
    if (rc != WM_STORE_OK) {
        nr->state = WM_REC_DEAD;
        return rc;
    }
    return delete_older(st, old.name, nr);
}

int wm_store_compact(wm_store *st)
{
    uint32_t s = st->flash->sector_size;
    if (st->pending) {
        return WM_STORE_ESTATE;
    }
    /* Slide live records, lowest address first, into free runs wholly below them. Every
     * move lowers an address, so this ends. */
    bool moved = true;
    while (moved) {
        moved = false;
        uint32_t lowest = 0xFFFFFFFFu, after = 0;
        for (;;) {
            lowest = 0xFFFFFFFFu;
            uint32_t need = 0;
            for (uint32_t k = 0; k < st->nrecs; k++) {
                const wm_store_record *r = &st->recs[k];
                if (r->state == WM_REC_LIVE && r->addr >= after && r->addr < lowest) {
                    lowest = r->addr;
                    need = rec_extent(st, r);
                }
            }
            if (lowest == 0xFFFFFFFFu) {
                break;
            }
            uint32_t start = 0, best = 0;
            if (find_run_below(st, need, lowest / s, &start, &best)) {
                int rc = move_record(st, lowest, start);
                if (rc != WM_STORE_OK) {
                    return rc;
                }
                moved = true;
                break;
            }
            after = lowest + 1u;
        }
    }
    return WM_STORE_OK;
}

static uint32_t free_sectors(const wm_store *st)
{
    uint32_t n = 0, nsec = st->flash->size / st->flash->sector_size;
    for (uint32_t sec = 0; sec < nsec; sec++) {
        n += sector_in_use(st, sec) ? 0u : 1u;
    }
    return n;
}

int wm_store_begin(wm_store *st, const char *name, uint32_t size, const uint8_t sha256[32],
                   uint32_t flags)
{
    uint32_t s = st->flash->sector_size;
    size_t nl = name_len(name);
    if (st->pending) {
        return WM_STORE_ESTATE;
    }
    if (!wm_store_name_ok(name, nl) || name[nl] != '\0' || size == 0 ||
        size > st->flash->size - WM_STORE_HEADER_SIZE) {
        return WM_STORE_EINVAL;
    }
    /* Keep two table slots spare: one for the new record, one for a replaced old one. */
    if (wm_store_count(st) + 2u > WM_STORE_MAX_RECORDS) {
        return WM_STORE_ETABLE;
    }
    uint32_t need = extent(st, size), start = 0, best = 0;
    if (!find_run(st, need, &start, &best)) {
        /* Enough space, but fragmented: compact (power-cut safe), then try again. */
        if (free_sectors(st) < need) {
            return WM_STORE_ENOSPC;
        }
        int crc = wm_store_compact(st);
        if (crc != WM_STORE_OK) {
            return crc;
        }
        if (!find_run(st, need, &start, &best)) {
            return WM_STORE_ENOSPC;
        }
    }
    int prc = prepare_run(st, start, need);
    if (prc != WM_STORE_OK) {
        return prc;
    }
    if (!table_slot(st)) {
        return WM_STORE_ETABLE;
    }
    wm_store_record *r = &st->recs[st->nrecs];
    int rc = write_header(st, r, start * s, name, nl, size, sha256, flags);
    if (rc != WM_STORE_OK) {
        return rc;
    }
    st->pending_idx = st->nrecs++;
    st->pending = true;
    st->written = 0;
    return WM_STORE_OK;
}

int wm_store_write(wm_store *st, uint32_t offset, const uint8_t *data, uint32_t len)
{
    if (!st->pending) {
        return WM_STORE_ESTATE;
    }
    wm_store_record *r = &st->recs[st->pending_idx];
    if (offset != st->written || len > r->size - offset) {
        return WM_STORE_EINVAL;
    }
    if (len == 0) {
        return WM_STORE_OK;
    }
    if (st->flash->program(st->flash->ctx, r->addr + WM_STORE_HEADER_SIZE + offset, data, len) !=
        0) {
        return WM_STORE_EFLASH;
    }
    st->written += len;
    return WM_STORE_OK;
}

void wm_store_abort(wm_store *st)
{
    if (st->pending) {
        st->recs[st->pending_idx].state = WM_REC_DEAD;
        st->pending = false;
    }
}

int wm_store_commit(wm_store *st, wm_store_validate_fn validate, void *vctx, wm_msg *why)
{
    if (!st->pending) {
        return WM_STORE_ESTATE;
    }
    wm_store_record *r = &st->recs[st->pending_idx];
    if (st->written != r->size) {
        return WM_STORE_ESTATE;
    }
    /* Hash what the flash holds, not what we were sent: catches failed programming too. */
    int rc = verify_image(st, r);
    if (rc != WM_STORE_OK) {
        if (rc == WM_STORE_EHASH) {
            wm_store_abort(st);
        }
        return rc;
    }
    if (validate != NULL && st->flash->mapped != NULL &&
        validate(vctx, st->flash->mapped + r->addr + WM_STORE_HEADER_SIZE, r->size, why) != 0) {
        wm_store_abort(st);
        return WM_STORE_EREJECT;
    }
    rc = program_commit(st, r);
    if (rc != WM_STORE_OK) {
        return rc;
    }
    st->pending = false;
    return delete_older(st, r->name, r);
}

uint32_t wm_store_erases(const wm_store *st) { return st->erases; }

bool wm_store_pending(const wm_store *st, wm_store_info *out, uint32_t *written)
{
    if (!st->pending) {
        return false;
    }
    const wm_store_record *r = &st->recs[st->pending_idx];
    *out = (wm_store_info){r->name, r->size, r->flags, r->gen, r->sha256, r->tail};
    *written = st->written;
    return true;
}

bool wm_store_pending_matches(const wm_store *st, const char *name, uint32_t size,
                              const uint8_t sha256[32], uint32_t flags, uint32_t *written)
{
    wm_store_info r;
    return wm_store_pending(st, &r, written) && wm_streq(r.name, name) && r.size == size &&
           r.flags == flags && wm_memeq(r.sha256, sha256, 32);
}

void wm_store_on_move(wm_store *st, void (*fn)(void *ctx), void *ctx)
{
    st->before_move = fn;
    st->move_ctx = ctx;
}

void wm_store_on_work(wm_store *st, wm_work *work) { st->work = work; }

int wm_store_remove(wm_store *st, const char *name)
{
    uint32_t i;
    if (wm_store_find(st, name, &i) != WM_STORE_OK) {
        return WM_STORE_ENOENT;
    }
    return delete_older(st, name, NULL);
}

uint32_t wm_store_tail_room(const wm_store *st)
{
    if (!st->pending) {
        return 0;
    }
    const wm_store_record *r = &st->recs[st->pending_idx];
    uint32_t s = st->flash->sector_size, total = st->flash->size / s;
    uint32_t sec = r->addr / s + extent(st, r->size);
    while (sec < total && !sector_in_use(st, sec)) {
        sec++; /* (at most the store's sectors, each a scan of the record table) */
    }
    uint32_t end = sec * s - r->addr, used = WM_STORE_HEADER_SIZE + tail_start(r->size);
    return end > used ? end - used : 0;
}

int wm_store_put_tail(wm_store *st, const uint8_t *data, uint32_t len)
{
    if (!st->pending) {
        return WM_STORE_ESTATE;
    }
    wm_store_record *r = &st->recs[st->pending_idx];
    uint32_t s = st->flash->sector_size, first = r->addr / s;
    if (st->written != r->size || r->tail != 0 || len == 0 ||
        len > st->flash->size - WM_STORE_HEADER_SIZE - span(r->size, 1u)) {
        return WM_STORE_EINVAL;
    }
    /* The sectors past the image's run must be free: the run was chosen for the image. */
    uint32_t have = extent(st, r->size), need = extent(st, span(r->size, len));
    if (first + need > st->flash->size / s) {
        return WM_STORE_ENOSPC;
    }
    for (uint32_t sec = first + have; sec < first + need; sec++) {
        if (sector_in_use(st, sec)) {
            return WM_STORE_ENOSPC;
        }
    }
    int rc = need > have ? prepare_run(st, first + have, need - have) : WM_STORE_OK;
    if (rc == WM_STORE_OK) {
        rc = program_tail_word(st, &st->recs[st->pending_idx], len);
    }
    r = &st->recs[st->pending_idx]; /* prepare_run may have dropped records below it */
    uint32_t at = r->addr + WM_STORE_HEADER_SIZE + tail_start(r->size);
    if (rc == WM_STORE_OK && st->flash->program(st->flash->ctx, at, data, len) != 0) {
        rc = WM_STORE_EFLASH;
    }
    /* read back: a form the flash did not take is never bound to the module */
    uint8_t buf[64];
    for (uint32_t off = 0; rc == WM_STORE_OK && off < len; off += sizeof buf) {
        uint32_t n = len - off < sizeof buf ? len - off : (uint32_t)sizeof buf;
        if (st->flash->read(st->flash->ctx, at + off, buf, n) != 0 ||
            !wm_memeq(buf, data + off, n)) {
            rc = WM_STORE_EFLASH;
        }
        wm_work_charge(st->work, n);
    }
    return rc;
}

const uint8_t *wm_store_tail(const wm_store *st, uint32_t i, uint32_t *len)
{
    const wm_store_record *r = live_at(st, i);
    if (r == NULL || r->tail == 0 || st->flash->mapped == NULL) {
        return NULL;
    }
    *len = r->tail;
    return st->flash->mapped + r->addr + WM_STORE_HEADER_SIZE + tail_start(r->size);
}
