/* The module store: named wasm images in a flash region, installed atomically.
 *
 * Layout: each record starts on a sector boundary and spans whole sectors:
 *   +0   u32 magic 'WMR1'      +4  u32 generation   +8  u32 image size  +12 u32 flags
 *   +16  name[32] (NUL padded) +48 sha256[32]       +80 u32 crc32 of bytes 0..79
 *   +96  u32 commit word (0xFFFFFFFF = not committed, WM_STORE_COMMITTED = committed)
 *   +104 u32 delete word (0xFFFFFFFF = live, anything else = deleted)
 *   +112 u32 tail length, +116 its complement (erased: no tail)
 *   +128 image bytes, then on an 8-byte boundary the tail (wm_store_put_tail)
 * Install: erase free sectors, program header (uncommitted), program image, read back and
 * check sha256 (+ the loader's validation), program the commit word, then delete older
 * records of the same name oldest first. A power cut at any step leaves either the old or
 * the new record live: uncommitted records are ignored, and of two committed records with
 * one name the higher generation wins (the older one is deleted at the next mount).
 * Free space is any sector not covered by a live record or the install in progress; dead
 * records are erased whole when their space is reused. When free space is fragmented,
 * compaction moves live records down one at a time, each move a copy + commit + delete
 * like a replace. See docs/protocol.md.
 */
#ifndef WM_STORE_H
#define WM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/wm_msg.h"
#include "../base/wm_work.h"
#include "flash.h"

#define WM_STORE_NAME_MAX 31u
#define WM_STORE_MAX_RECORDS 24u
#define WM_STORE_HEADER_SIZE 128u
#define WM_STORE_MAGIC 0x31524D57u /* "WMR1" */
#define WM_STORE_COMMITTED 0x00C0FFEEu

enum {
    WM_STORE_OK = 0,
    WM_STORE_EFLASH = -1,    /* a flash operation failed */
    WM_STORE_ENOSPC = -2,    /* no contiguous free space (or record table full) */
    WM_STORE_ENOENT = -3,    /* no such module */
    WM_STORE_EHASH = -4,     /* image read back does not match its sha256 */
    WM_STORE_EINVAL = -5,    /* bad name / size / offset */
    WM_STORE_ESTATE = -6,    /* no install in progress, or one already running */
    WM_STORE_EREJECT = -7,   /* the validate callback rejected the image */
    WM_STORE_EGEOMETRY = -8, /* flash ops unusable (sector size, region size) */
    WM_STORE_ETABLE = -9,    /* flash has room, the record table does not (too many modules) */
};

/* Optional loader validation run on the image before commit (0 = accept); the reason of a
 * refusal, or a note on an accepted image, goes into `why` (may be NULL). */
typedef int (*wm_store_validate_fn)(void *ctx, const uint8_t *image, uint32_t size, wm_msg *why);

typedef struct {
    uint32_t addr;
    uint32_t gen;
    uint32_t size;
    uint32_t tail; /* bytes after the image (wm_store_put_tail), 0: none */
    uint32_t flags;
    uint8_t state; /* WM_REC_* */
    char name[WM_STORE_NAME_MAX + 1];
    uint8_t sha256[32];
} wm_store_record;

enum { WM_REC_LIVE = 1, WM_REC_DEAD = 2, WM_REC_PENDING = 3 };

/* Private to store/: every other layer asks through the functions below (a check in
 * tests/test_architecture.py fails on a field read elsewhere). */
typedef struct {
    const wm_flash_ops *flash;
    wm_store_record recs[WM_STORE_MAX_RECORDS];
    uint32_t nrecs;
    uint32_t next_gen;
    /* install in progress (RAM only: a reset abandons it, the record stays uncommitted) */
    bool pending;
    uint32_t pending_idx;
    uint32_t written;
    uint32_t erases; /* sector erases since mount (wm_store_erases) */
    /* wm_store_on_move */
    void (*before_move)(void *ctx);
    void *move_ctx;
    wm_work *work; /* wm_store_on_work */
} wm_store;

typedef struct {
    const char *name;
    uint32_t size;
    uint32_t flags;
    uint32_t gen;
    const uint8_t *sha256;
    uint32_t tail; /* bytes of its tail, 0: none */
} wm_store_info;

/* Scan the region and finish interrupted replaces (programs delete words, never erases). */
int wm_store_mount(wm_store *st, const wm_flash_ops *flash);

/* Live modules, in flash order. */
uint32_t wm_store_count(const wm_store *st);
int wm_store_get(const wm_store *st, uint32_t i, wm_store_info *out);
int wm_store_find(const wm_store *st, const char *name, uint32_t *i);
/* Read part of a live image (i as from wm_store_get/find). */
int wm_store_read(const wm_store *st, uint32_t i, uint32_t off, uint8_t *buf, uint32_t len);
/* The image in place when the flash is memory-mapped, else NULL. */
const uint8_t *wm_store_image(const wm_store *st, uint32_t i);

uint32_t wm_store_capacity(const wm_store *st);
/* Bytes of image the largest possible new install could hold. */
uint32_t wm_store_free(const wm_store *st);

/* Install: begin, write in order, commit (or abort). */
int wm_store_begin(wm_store *st, const char *name, uint32_t size, const uint8_t sha256[32],
                   uint32_t flags);
int wm_store_write(wm_store *st, uint32_t offset, const uint8_t *data, uint32_t len);
int wm_store_commit(wm_store *st, wm_store_validate_fn validate, void *vctx, wm_msg *why);
void wm_store_abort(wm_store *st);
/* Sector erases the store has done since it was mounted (wraps): what a push cost the flash. */
uint32_t wm_store_erases(const wm_store *st);
/* A tail for the install in progress, once its whole image is written and before its
 * commit (the commit's validate callback writes it): bytes derived from the image, e.g. its
 * pre-decoded form, kept after it in the same record and committed, moved and deleted with
 * it. The tail word is programmed before the bytes, so a power cut leaves an uncommitted
 * record covering them (erased whole when reused), never bytes scanned as a header.
 * ENOSPC when the sectors after the image's run are not free (the image is still
 * committed without a tail), EFLASH when the bytes did not read back (the record then
 * carries a tail its user must check before use, as it must anyway). */
int wm_store_put_tail(wm_store *st, const uint8_t *data, uint32_t len);
/* The largest tail wm_store_put_tail can place after the pending image now (the free
 * sectors right after its run), 0 without a pending image. */
uint32_t wm_store_tail_room(const wm_store *st);
/* The tail of live record i in place (mapped flash), or NULL when it has none. */
const uint8_t *wm_store_tail(const wm_store *st, uint32_t i, uint32_t *len);
/* The install in progress (between begin and commit/abort): its name, size, flags and
 * sha256 in `out`, the bytes written so far in `written`; false when there is none. */
bool wm_store_pending(const wm_store *st, wm_store_info *out, uint32_t *written);
/* If an install of exactly this module is in progress, its byte count so far. */
bool wm_store_pending_matches(const wm_store *st, const char *name, uint32_t size,
                              const uint8_t sha256[32], uint32_t flags, uint32_t *written);

int wm_store_remove(wm_store *st, const char *name);

/* Move live records down into free space below them so free space becomes contiguous.
 * Each move is a copy + commit + delete, safe against power cuts like a replace.
 * wm_store_begin calls it when the space exists but is fragmented. */
int wm_store_compact(wm_store *st);
/* Called before compaction moves a live record (its image bytes change place): code
 * executing in place from it must stop first. `fn` may be NULL; set after mounting. */
void wm_store_on_move(wm_store *st, void (*fn)(void *ctx), void *ctx);
/* The commit's read-back hash charges its bytes to `work` (core/base/wm_work.h), which
 * feeds the watchdog during the hash of a large image. NULL: none. */
void wm_store_on_work(wm_store *st, wm_work *work);

/* 1..31 bytes of [A-Za-z0-9._-]. */
bool wm_store_name_ok(const char *name, size_t len);

#endif
