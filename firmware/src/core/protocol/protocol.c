#include "protocol.h"

#include "frame.h"
#include "wm_bytes.h"
#include "wm_mem.h"

/* What INFO and NONCE send as the id of a device that has none. */
static const uint8_t k_no_id[WM_DEVICE_ID_BYTES] = {0};

/* A response being built: body bytes go straight into tx_raw after the header. */
typedef struct {
    uint8_t *body;
    size_t len;
    size_t cap;
    bool overflow;
} wm_out;

/* A request body being parsed. */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool bad;
} wm_in;

static void out_bytes(wm_out *o, const void *data, size_t n)
{
    if (n > o->cap - o->len) {
        o->overflow = true;
        return;
    }
    wm_memcpy(o->body + o->len, data, n);
    o->len += n;
}

static void out_u8(wm_out *o, uint8_t v) { out_bytes(o, &v, 1); }

static void out_u16(wm_out *o, uint16_t v)
{
    uint8_t b[2];
    wm_st16(b, v);
    out_bytes(o, b, 2);
}

static void out_u32(wm_out *o, uint32_t v)
{
    uint8_t b[4];
    wm_st32(b, v);
    out_bytes(o, b, 4);
}

static void out_str8(wm_out *o, const char *s)
{
    size_t n = wm_strlen(s);
    if (n > 255u) {
        n = 255u;
    }
    out_u8(o, (uint8_t)n);
    out_bytes(o, s, n);
}

static const uint8_t *in_take(wm_in *in, size_t n)
{
    if (in->bad || n > in->len - in->pos) {
        in->bad = true;
        return NULL;
    }
    const uint8_t *r = in->p + in->pos;
    in->pos += n;
    return r;
}

static uint8_t in_u8(wm_in *in)
{
    const uint8_t *b = in_take(in, 1);
    return b != NULL ? b[0] : 0u;
}

static uint16_t in_u16(wm_in *in)
{
    const uint8_t *b = in_take(in, 2);
    return b != NULL ? wm_ld16(b) : 0u;
}

static uint32_t in_u32(wm_in *in)
{
    const uint8_t *b = in_take(in, 4);
    return b != NULL ? wm_ld32(b) : 0u;
}

static uint64_t in_u64(wm_in *in)
{
    uint64_t lo = in_u32(in);
    uint64_t hi = in_u32(in);
    return lo | (hi << 32);
}

/* A length-prefixed string copied NUL-terminated into buf (cap > 255 not needed). */
static bool in_str8(wm_in *in, char *buf, size_t cap)
{
    uint8_t n = in_u8(in);
    const uint8_t *s = in_take(in, n);
    if (s == NULL || (size_t)n >= cap) {
        in->bad = true;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 0) {
            in->bad = true;
            return false;
        }
        buf[i] = (char)s[i];
    }
    buf[n] = '\0';
    return true;
}

static int send_raw(wm_protocol *p, const uint8_t *data, size_t len)
{
    return p->cfg.io.write(p->cfg.io.ctx, data, len) == 0 ? 0 : -1;
}

/* Build the response in tx_raw (body already at tx_raw + header), encode, keep, send. */
static int respond(wm_protocol *p, const wm_frame_header *req, uint16_t status, size_t body_len)
{
    wm_frame_header h = {WM_PROTO_VERSION, WM_FT_RESPONSE, req->msg, 0, req->seq, status};
    if (wm_frame_build(&h, p->tx_raw + WM_FRAME_HEADER, body_len, p->tx_raw, sizeof p->tx_raw,
                       p->tx_enc, sizeof p->tx_enc, &p->tx_len) != 0) {
        return -1;
    }
    p->have_last = true;
    p->last_seq = req->seq;
    p->last_msg = req->msg;
    return send_raw(p, p->tx_enc, p->tx_len);
}

static int respond_error(wm_protocol *p, const wm_frame_header *req, uint16_t status,
                         const char *msg)
{
    wm_out o = {p->tx_raw + WM_FRAME_HEADER, 0, WM_PROTO_MAX_BODY, false};
    out_bytes(&o, msg, wm_strlen(msg));
    return respond(p, req, status, o.len);
}

/* A refusal as the core's layers built it (base/wm_msg.h), unchanged: the text, after its
 * place for an invalid package or module ("invalid module at 0x1a: "). */
static int respond_msg(wm_protocol *p, const wm_frame_header *req, int status, const wm_msg *m)
{
    wm_msg body; /* the response body (WM_PROTO_MAX_BODY holds a place and WM_MSG_MAX) */
    wm_msg_init(&body, (char *)(p->tx_raw + WM_FRAME_HEADER), WM_PROTO_MAX_BODY);
    if (m->where != NULL) {
        wm_msg_put(&body, "invalid ");
        wm_msg_put(&body, m->where);
        wm_msg_put(&body, " at ");
        wm_msg_put_hex(&body, m->offset);
        wm_msg_put(&body, ": ");
    }
    wm_msg_put(&body, m->buf);
    return respond(p, req, (uint16_t)status, body.len);
}

/* A fresh message for a hook's refusal, in buf[WM_MSG_MAX]. */
static wm_msg *fresh_msg(wm_msg *m, char *buf)
{
    wm_msg_init(m, buf, WM_MSG_MAX);
    return m;
}

static int store_error(wm_protocol *p, const wm_frame_header *req, int rc, const wm_msg *why)
{
    switch (rc) {
    case WM_STORE_ENOSPC: /* which limit, so the user knows what to free */
        return respond_error(p, req, WM_ST_NO_SPACE,
                             "module store full: not enough free flash for this module "
                             "(INFO's store free); remove one (wasmote rm)");
    case WM_STORE_ETABLE:
        return respond_error(p, req, WM_ST_NO_SPACE,
                             "module store full: the most modules it holds are installed "
                             "(record table, not flash); remove one (wasmote rm)");
    case WM_STORE_ENOENT: return respond_error(p, req, WM_ST_NOT_FOUND, "no such module");
    case WM_STORE_EHASH:
        return respond_error(p, req, WM_ST_HASH_MISMATCH,
                             "image in flash does not match its sha256; push abandoned");
    case WM_STORE_EINVAL:
        return respond_error(p, req, WM_ST_MALFORMED, "bad module name, size or offset");
    case WM_STORE_ESTATE:
        return respond_error(p, req, WM_ST_BAD_STATE, "no complete push in progress");
    case WM_STORE_EREJECT:
        if (why != NULL && why->len > 0) {
            return respond_msg(p, req, why->status != WM_ST_OK ? why->status : WM_ST_INVALID_MODULE,
                               why);
        }
        return respond_error(p, req, WM_ST_INVALID_MODULE,
                             "the loader rejected the module; push abandoned");
    default: return respond_error(p, req, WM_ST_FLASH_ERROR, "flash operation failed");
    }
}

static uint32_t features(const wm_protocol *p, const wm_proto_device_state *ds)
{
    uint32_t f = WM_FEAT_STORE | WM_FEAT_RESUME | WM_FEAT_EVENTS;
    const wm_protocol_runner *r = p->cfg.runner;
    if (r != NULL && r->run != NULL) {
        f |= WM_FEAT_RUN;
    }
    if (r != NULL && r->provision != NULL) {
        f |= WM_FEAT_SANDBOX;
    }
    if (r != NULL && r->start != NULL) {
        f |= WM_FEAT_SCHEDULER;
    }
    if (ds->aot_arch != 0) {
        f |= WM_FEAT_AOT;
    }
    if (ds->aot_arch != 0 && ds->aot_isolated) {
        f |= WM_FEAT_AOT_MPU;
    }
    if (r != NULL && r->bridge_in != NULL) {
        f |= WM_FEAT_BRIDGE;
    }
    return f;
}

static int do_info(wm_protocol *p, const wm_frame_header *req, wm_out *o)
{
    wm_proto_device_state ds = {p->cfg.free_ram, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", NULL, 0};
    const wm_protocol_runner *r = p->cfg.runner;
    if (r != NULL && r->device_state != NULL) {
        r->device_state(r->ctx, &ds);
    }
    out_u8(o, WM_PROTO_VERSION);
    out_u8(o, 0);
    out_u16(o, WM_PROTO_MAX_CHUNK);
    out_u32(o, WM_PROTO_MAX_PAYLOAD);
    out_u32(o, ds.free_ram);
    out_u32(o, wm_store_capacity(p->cfg.store));
    out_u32(o, wm_store_free(p->cfg.store));
    out_u32(o, features(p, &ds));
    out_u16(o, (uint16_t)wm_store_count(p->cfg.store));
    out_u16(o, WM_PROTO_WINDOW);
    out_str8(o, p->cfg.firmware_version);
    out_str8(o, p->cfg.board);
    /* device state (sandbox, scheduler) */
    out_u8(o, ds.nkeys);
    out_u32(o, ds.key_counter);
    out_u8(o, ds.aot_arch);
    out_u16(o, ds.aot_abi);
    out_u16(o, ds.slots);
    out_u16(o, ds.running);
    out_u32(o, ds.boots);
    out_u8(o, ds.reset_cause);
    out_str8(o, ds.notes != NULL ? ds.notes : "");
    /* identity: the id every signed request binds, and where its randomness comes from */
    out_bytes(o, ds.device_id != NULL ? ds.device_id : k_no_id, WM_DEVICE_ID_BYTES);
    out_u8(o, ds.random_kind);
    return respond(p, req, WM_ST_OK, o->len);
}

#define MS_PER_HOUR 3600000

/* The bucket of erases for pushes that install nothing new (wire.h, WM_PUSH_WASTE_*),
 * refilled for the time since it was last looked at (a wrap of millis refills less, never
 * more). */
static void waste_refill(wm_protocol *p)
{
    uint32_t now = p->cfg.millis != NULL ? p->cfg.millis() : 0u;
    int64_t full = (int64_t)WM_PUSH_WASTE_ERASES * MS_PER_HOUR;
    p->waste_level += (int64_t)(uint32_t)(now - p->waste_ms) * WM_PUSH_WASTE_PER_HOUR;
    p->waste_ms = now;
    if (p->waste_level > full) {
        p->waste_level = full;
    }
}

/* The open push ends without installing anything new: the sectors erased since it began
 * (its run, a compaction, its tail) are charged. Called once per push. */
static void waste_charge(wm_protocol *p)
{
    uint32_t now = wm_store_erases(p->cfg.store);
    p->waste_level -= (int64_t)(uint32_t)(now - p->push_erases) * MS_PER_HOUR;
    p->push_erases = now;
}

static int do_push_begin(wm_protocol *p, const wm_frame_header *req, wm_in *in, wm_out *o)
{
    wm_store *st = p->cfg.store;
    char name[WM_STORE_NAME_MAX + 1];
    uint32_t size = in_u32(in), flags = in_u32(in), held = 0;
    const uint8_t *sha = in_take(in, 32);
    if (!in_str8(in, name, sizeof name) || in->pos != in->len || sha == NULL) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed PUSH_BEGIN");
    }
    if (!wm_store_name_ok(name, wm_strlen(name))) {
        return respond_error(p, req, WM_ST_BAD_NAME,
                             "module name must be 1-31 characters of A-Z a-z 0-9 . _ -");
    }
    if (!wm_store_pending_matches(st, name, size, sha, flags, &held)) {
        /* A different push supersedes an abandoned one, whose erases were for nothing. */
        wm_store_info open;
        if (wm_store_pending(st, &open, &held)) {
            waste_charge(p);
        }
        wm_store_abort(st);
        if (size == 0) {
            return respond_error(p, req, WM_ST_MALFORMED, "PUSH_BEGIN: an empty module");
        }
        uint32_t cap = wm_store_capacity(st);
        if (cap <= WM_STORE_HEADER_SIZE || size > cap - WM_STORE_HEADER_SIZE) {
            /* with its record header: a module a little smaller than the store is too */
            return respond_error(p, req, WM_ST_TOO_LARGE,
                                 "module larger than the whole store (with its 128-byte "
                                 "record header)");
        }
        waste_refill(p);
        if (p->waste_level <= 0) {
            char buf[WM_MSG_MAX];
            wm_msg m;
            (void)fresh_msg(&m, buf);
            wm_msg_put(&m, "too many pushes that installed nothing: flash erase budget spent "
                           "(");
            wm_msg_put_u(&m, WM_PUSH_WASTE_PER_HOUR);
            wm_msg_put(&m, " an hour); try again in ");
            wm_msg_put_u(&m, (uint64_t)(-p->waste_level) / WM_PUSH_WASTE_PER_HOUR / 1000u + 1u);
            wm_msg_put(&m, " s");
            return respond_msg(p, req, WM_ST_BUSY, &m);
        }
        p->push_erases = wm_store_erases(st);
        int rc = wm_store_begin(st, name, size, sha, flags);
        if (rc != WM_STORE_OK) {
            waste_charge(p);
            return store_error(p, req, rc, NULL);
        }
        held = 0;
    }
    out_u32(o, held);
    out_u16(o, WM_PROTO_MAX_CHUNK);
    out_u16(o, WM_PROTO_WINDOW);
    return respond(p, req, WM_ST_OK, o->len);
}

static int do_push_chunk(wm_protocol *p, const wm_frame_header *req, wm_in *in, wm_out *o)
{
    wm_store *st = p->cfg.store;
    uint32_t offset = in_u32(in);
    if (in->bad || in->len - in->pos > WM_PROTO_MAX_CHUNK) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed PUSH_CHUNK");
    }
    wm_store_info pending;
    uint32_t written;
    if (!wm_store_pending(st, &pending, &written)) {
        return respond_error(p, req, WM_ST_BAD_STATE, "no push in progress");
    }
    /* Flash with ECC programs 8-byte units once (STM32L4 and others): every chunk but the
     * last of the image must keep the writes on 8-byte boundaries. */
    size_t n = in->len - in->pos;
    if ((n % 8u) != 0 && (size_t)offset + n != pending.size) {
        return respond_error(p, req, WM_ST_MALFORMED,
                             "PUSH_CHUNK: a chunk before the last must be a multiple of 8 "
                             "bytes");
    }
    /* Only the next expected chunk is written; anything else (duplicate, reordered, after a
     * loss) is answered with the cumulative ack so the host goes back to it. */
    if (offset == written) {
        int rc = wm_store_write(st, offset, in->p + in->pos, (uint32_t)(in->len - in->pos));
        if (rc != WM_STORE_OK) {
            waste_charge(p);
            wm_store_abort(st);
            return store_error(p, req, rc, NULL);
        }
        written += (uint32_t)n;
    }
    out_u32(o, written);
    return respond(p, req, WM_ST_OK, o->len);
}

/* LIST: entries from index `start`; a request byte 1 after it asks for each entry's detail
 * (memory and stack limits, linear memory now), flagged by bit 7 of the answer's count so a
 * host tells a firmware that ignored the byte. */
#define LIST_DETAIL 0x80u

static int do_list(wm_protocol *p, const wm_frame_header *req, wm_in *in, wm_out *o)
{
    uint16_t start = in_u16(in);
    bool detail = in->pos < in->len && in_u8(in) == 1u;
    if (in->bad) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed LIST");
    }
    uint32_t total = wm_store_count(p->cfg.store);
    if (total > WM_PROTO_LIST_MAX) {
        total = WM_PROTO_LIST_MAX; /* the protocol's bound; a store holds fewer */
    }
    out_u16(o, (uint16_t)total);
    size_t count_at = o->len;
    out_u8(o, 0);
    uint8_t count = 0;
    for (uint32_t i = start; i < total; i++) {
        wm_store_info info;
        if (wm_store_get(p->cfg.store, i, &info) != WM_STORE_OK) {
            break;
        }
        wm_proto_module_state ms = {info.flags, 0, 0, {0, 0, 0}, 0, 0, 0, 0, 0, "", 0, 0, 0, 0, 0};
        const wm_protocol_runner *r = p->cfg.runner;
        if (r != NULL && r->module_state != NULL) {
            r->module_state(r->ctx, info.name, &ms);
        }
        const char *trap = ms.last_trap != NULL ? ms.last_trap : "";
        /* Stop before an entry that would not fit; the host asks again from there. */
        if (o->cap - o->len < 4u * 3u + 32u + 1u + wm_strlen(info.name) + 30u + 1u +
                                  (wm_strlen(trap) < 255u ? wm_strlen(trap) : 255u) +
                                  (detail ? 17u : 0u)) {
            break;
        }
        out_u32(o, info.size);
        out_u32(o, ms.flags);
        out_u32(o, info.gen);
        out_bytes(o, info.sha256, 32);
        out_str8(o, info.name);
        out_u8(o, ms.state);
        out_u8(o, ms.kind);
        out_u16(o, ms.version[0]);
        out_u16(o, ms.version[1]);
        out_u16(o, ms.version[2]);
        out_u32(o, ms.mem_bytes);
        out_u32(o, ms.fuel_per_s);
        out_u16(o, ms.cpu_permille);
        out_u32(o, ms.traps);
        out_u32(o, ms.restarts);
        out_str8(o, trap);
        if (detail) {
            out_u32(o, ms.mem_limit);
            out_u32(o, ms.stack_limit);
            out_u32(o, ms.mem_now);
            out_u8(o, ms.code);
            out_u32(o, ms.form_bytes);
        }
        count++;
    }
    o->body[count_at] = (uint8_t)(count | (detail ? LIST_DETAIL : 0u));
    return respond(p, req, WM_ST_OK, o->len);
}

static int do_remove(wm_protocol *p, const wm_frame_header *req, wm_in *in)
{
    char name[WM_STORE_NAME_MAX + 1];
    if (!in_str8(in, name, sizeof name) || in->pos != in->len) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed REMOVE");
    }
    uint32_t idx = 0;
    if (wm_store_find(p->cfg.store, name, &idx) != WM_STORE_OK) {
        return store_error(p, req, WM_STORE_ENOENT, NULL);
    }
    const wm_protocol_runner *r = p->cfg.runner;
    if (r != NULL && r->removing != NULL) {
        /* stops it (its image is about to be erased) and deletes its data, or refuses */
        char buf[WM_MSG_MAX];
        wm_msg msg;
        int st = r->removing(r->ctx, p, name, fresh_msg(&msg, buf));
        if (st != WM_ST_OK) {
            return respond_msg(p, req, st, &msg);
        }
    }
    int rc = wm_store_remove(p->cfg.store, name);
    if (rc != WM_STORE_OK) {
        return store_error(p, req, rc, NULL);
    }
    return respond(p, req, WM_ST_OK, 0);
}

static int do_commit(wm_protocol *p, const wm_frame_header *req)
{
    wm_store *st = p->cfg.store;
    char name[WM_STORE_NAME_MAX + 1];
    name[0] = '\0';
    wm_store_info pending, live;
    uint32_t written, i;
    bool open = wm_store_pending(st, &pending, &written), same = false;
    if (open) {
        size_t n = wm_strlen(pending.name); /* at most WM_STORE_NAME_MAX: the store's own */
        wm_memcpy(name, pending.name, n + 1u);
        /* the image already installed under this name, pushed again (replayable by anyone
         * on the line: the push is open) */
        same = wm_store_find(st, name, &i) == WM_STORE_OK &&
               wm_store_get(st, i, &live) == WM_STORE_OK && live.size == pending.size &&
               wm_memeq(live.sha256, pending.sha256, 32);
    }
    char buf[WM_MSG_MAX];
    wm_msg why;
    int rc = wm_store_commit(st, p->cfg.validate, p->cfg.validate_ctx, fresh_msg(&why, buf));
    if (open && !wm_store_pending(st, &pending, &written) && (rc != WM_STORE_OK || same)) {
        waste_charge(p); /* refused (the push is abandoned), or the same image again */
    }
    if (rc != WM_STORE_OK) {
        return store_error(p, req, rc, &why);
    }
    /* Answer first: starting the new version may take a while and send events. The body
     * is a note on an accepted module (e.g. its AOT code ignored, and why), else empty. */
    int sent = respond_msg(p, req, WM_ST_OK, &why);
    const wm_protocol_runner *r = p->cfg.runner;
    if (r != NULL && r->installed != NULL) {
        r->installed(r->ctx, p, name);
    }
    return sent;
}

static int do_provision(wm_protocol *p, const wm_frame_header *req, wm_in *in)
{
    const wm_protocol_runner *r = p->cfg.runner;
    char buf[WM_MSG_MAX];
    wm_msg msg;
    if (r == NULL || r->provision == NULL) {
        return respond_error(p, req, WM_ST_NOT_SUPPORTED, "this firmware has no sandbox");
    }
    int st = r->provision(r->ctx, in->p, in->len, fresh_msg(&msg, buf));
    return st == WM_ST_OK ? respond(p, req, WM_ST_OK, 0) : respond_msg(p, req, st, &msg);
}

static int do_run(wm_protocol *p, const wm_frame_header *req, wm_in *in, wm_out *o)
{
    char name[WM_STORE_NAME_MAX + 1], export_name[64], buf[WM_MSG_MAX];
    wm_msg msg;
    wm_wire_value args[WM_PROTO_MAX_VALUES], results[WM_PROTO_MAX_VALUES];
    uint32_t idx = 0, nresults = 0;
    bool ok = in_str8(in, name, sizeof name) && in_str8(in, export_name, sizeof export_name);
    uint8_t nargs = in_u8(in);
    if (!ok || nargs > WM_PROTO_MAX_VALUES) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed RUN");
    }
    for (uint8_t i = 0; i < nargs; i++) {
        args[i].type = in_u8(in);
        args[i].bits = in_u64(in);
    }
    if (in->bad || in->pos != in->len) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed RUN");
    }
    for (uint8_t i = 0; i < nargs; i++) {
        /* Only numbers: 64 bits from the wire must never become a reference (an address). */
        uint8_t t = args[i].type;
        if (t != WM_VT_I32 && t != WM_VT_I64 && t != WM_VT_F32 && t != WM_VT_F64) {
            return respond_error(p, req, WM_ST_BAD_ARGS,
                                 "RUN: an argument is not i32, i64, f32 or f64 (references "
                                 "do not cross the wire)");
        }
    }
    const wm_protocol_runner *r = p->cfg.runner;
    if (r == NULL || r->run == NULL) {
        return respond_error(p, req, WM_ST_NOT_SUPPORTED,
                             "RUN not supported yet by this firmware (no runtime linked)");
    }
    if (wm_store_find(p->cfg.store, name, &idx) != WM_STORE_OK) {
        return respond_error(p, req, WM_ST_NOT_FOUND, "no such module");
    }
    wm_store_info info;
    const uint8_t *image = wm_store_image(p->cfg.store, idx);
    if (image == NULL || wm_store_get(p->cfg.store, idx, &info) != WM_STORE_OK) {
        return respond_error(p, req, WM_ST_NOT_SUPPORTED, "store is not memory-mapped");
    }
    p->run_name = name; /* its own events go out during the call (wm_protocol_event) */
    int st = r->run(r->ctx, p, name, image, info.size, export_name, args, nargs, results, &nresults,
                    fresh_msg(&msg, buf));
    p->run_name = NULL;
    if (st != WM_ST_OK) {
        return respond_msg(p, req, st, &msg);
    }
    if (nresults > WM_PROTO_MAX_VALUES) {
        nresults = WM_PROTO_MAX_VALUES;
    }
    out_u8(o, (uint8_t)nresults);
    for (uint32_t i = 0; i < nresults; i++) {
        out_u8(o, results[i].type);
        out_u32(o, (uint32_t)results[i].bits);
        out_u32(o, (uint32_t)(results[i].bits >> 32));
    }
    return respond(p, req, WM_ST_OK, o->len);
}

static int do_start_stop(wm_protocol *p, const wm_frame_header *req, wm_in *in)
{
    char name[WM_STORE_NAME_MAX + 1], buf[WM_MSG_MAX];
    wm_msg msg;
    uint32_t idx = 0;
    if (!in_str8(in, name, sizeof name) || in->pos != in->len) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed START/STOP");
    }
    const wm_protocol_runner *r = p->cfg.runner;
    int (*fn)(void *, struct wm_protocol *, const char *, wm_msg *) = NULL;
    if (r != NULL) {
        fn = req->msg == WM_MSG_START ? r->start : r->stop;
    }
    if (fn == NULL) {
        return respond_error(p, req, WM_ST_NOT_SUPPORTED,
                             "START/STOP not supported yet by this firmware (no scheduler)");
    }
    if (wm_store_find(p->cfg.store, name, &idx) != WM_STORE_OK) {
        return respond_error(p, req, WM_ST_NOT_FOUND, "no such module");
    }
    int st = fn(r->ctx, p, name, fresh_msg(&msg, buf));
    return st == WM_ST_OK ? respond(p, req, WM_ST_OK, 0) : respond_msg(p, req, st, &msg);
}

/* BRIDGE_IN: str8 topic, then the message to the end of the body. */
static int do_bridge_in(wm_protocol *p, const wm_frame_header *req, wm_in *in, wm_out *o)
{
    const wm_protocol_runner *r = p->cfg.runner;
    uint8_t tlen = in_u8(in);
    const uint8_t *topic = in_take(in, tlen);
    if (topic == NULL) {
        return respond_error(p, req, WM_ST_MALFORMED, "malformed BRIDGE_IN");
    }
    if (r == NULL || r->bridge_in == NULL) {
        return respond_error(p, req, WM_ST_NOT_SUPPORTED, "this firmware has no bridge");
    }
    int n = r->bridge_in(r->ctx, topic, tlen, in->p + in->pos, (uint32_t)(in->len - in->pos));
    if (n < 0) {
        return respond_error(p, req, WM_ST_BAD_ARGS,
                             "BRIDGE_IN: a topic is segments of [A-Za-z0-9_-] joined by '/' "
                             "(at most 32 bytes), a message at most 64 bytes");
    }
    out_u8(o, (uint8_t)(n > 255 ? 255 : n));
    return respond(p, req, WM_ST_OK, o->len);
}

static int do_logs(wm_protocol *p, const wm_frame_header *req, wm_out *o)
{
    o->len = wm_log_ring_copy(&p->log, o->body, o->cap);
    return respond(p, req, WM_ST_OK, o->len);
}

static uint32_t now_ms(const wm_protocol *p)
{
    return p->cfg.millis != NULL ? p->cfg.millis() : 0u;
}

static void identity(const wm_protocol *p, wm_auth_identity *id)
{
    const wm_protocol_runner *r = p->cfg.runner;
    id->device_id = NULL;
    id->keys = NULL;
    id->nkeys = 0;
    if (r != NULL && r->identity != NULL) {
        r->identity(r->ctx, id);
    }
}

/* The role a message needs on a provisioned device; 0: open to anyone on the line (INFO,
 * NONCE, and the push: a package proves itself by its signature). */
static uint8_t role_needed(uint8_t msg)
{
    switch (msg) {
    case WM_MSG_INFO:
    case WM_MSG_NONCE:
    case WM_MSG_PUSH_BEGIN:
    case WM_MSG_PUSH_CHUNK:
    case WM_MSG_PUSH_COMMIT: return 0;
    case WM_MSG_PROVISION: return WM_ROLE_ADMIN;
    default: /* LIST, RUN, START, STOP, REMOVE, LOGS, RESET, SUBSCRIBE, BRIDGE_IN, and anything
                new */
        return WM_ROLE_OPERATE;
    }
}

static int do_nonce(wm_protocol *p, const wm_frame_header *req, wm_out *o)
{
    const wm_protocol_runner *r = p->cfg.runner;
    uint8_t fresh[WM_AUTH_NONCE_BYTES];
    if (r == NULL || r->random == NULL || r->random(r->ctx, fresh, sizeof fresh) != 0) {
        return respond_error(p, req, WM_ST_NOT_SUPPORTED, "this device has no random source");
    }
    wm_auth_identity id;
    identity(p, &id);
    wm_auth_issue(&p->auth, fresh, now_ms(p));
    out_u8(o, id.nkeys > 0 ? (uint8_t)WM_NONCE_AUTH_REQUIRED : 0u);
    out_bytes(o, id.device_id != NULL ? id.device_id : k_no_id, WM_DEVICE_ID_BYTES);
    out_bytes(o, fresh, sizeof fresh);
    return respond(p, req, WM_ST_OK, o->len);
}

static int do_subscribe(wm_protocol *p, const wm_frame_header *req, wm_in *in)
{
    uint16_t seconds = in_u16(in);
    if (in->bad || in->pos != in->len || seconds > WM_SUBSCRIBE_MAX_S) {
        return respond_error(p, req, WM_ST_MALFORMED,
                             "malformed SUBSCRIBE (u16 seconds, at most 3600; 0 ends it)");
    }
    p->subscribed = seconds > 0;
    p->sub_start_ms = now_ms(p);
    p->sub_ms = (uint32_t)seconds * 1000u;
    return respond(p, req, WM_ST_OK, 0);
}

/* Whether an event about `name` may go out: always on an unprovisioned device and for the
 * device's own events (no module); else during a subscription or that module's RUN. */
static bool event_allowed(const wm_protocol *p, const char *name)
{
    wm_auth_identity id;
    identity(p, &id);
    if (id.nkeys == 0 || name == NULL || name[0] == '\0') {
        return true;
    }
    if (p->subscribed &&
        (p->cfg.millis == NULL || (uint32_t)(now_ms(p) - p->sub_start_ms) < p->sub_ms)) {
        return true;
    }
    return p->run_name != NULL && wm_streq(p->run_name, name);
}

/* Checks the token a request carries, or that it needs none, and strips the trailer. True
 * to go on; false when a refusal was sent (*sent: its result, < 0 on a write error). */
static bool authorized(wm_protocol *p, const wm_frame_header *h, size_t *body_len,
                       const uint8_t *body, int *sent)
{
    static const char *const role_names[] = {"", "package", "operate", "", "admin"};
    wm_auth_identity id;
    identity(p, &id);
    uint8_t role = role_needed(h->msg);
    if ((h->flags & WM_FRAME_FLAG_AUTH) != 0) {
        if (*body_len < WM_AUTH_TRAILER) {
            *sent = respond_error(p, h, WM_ST_MALFORMED, "malformed authentication trailer");
            return false;
        }
        if (id.nkeys > 0) {
            int rc = wm_auth_check(&p->auth, &id, role, h->msg, body, *body_len, now_ms(p));
            if (rc != WM_AUTH_OK) {
                *sent = respond_error(p, h, WM_ST_AUTH, wm_auth_error(rc));
                return false;
            }
        }
        *body_len -= WM_AUTH_TRAILER; /* unprovisioned: nothing to check it against */
        return true;
    }
    if (role != 0 && id.nkeys > 0) {
        char m[128];
        size_t n = 0;
        const char *parts[] = {"the device is provisioned: this request needs a token "
                               "signed by a key with the ",
                               role_names[role], " role (NONCE first; wasmote --key)"};
        for (size_t i = 0; i < 3u; i++) {
            for (const char *c = parts[i]; *c != '\0' && n + 1u < sizeof m; c++) {
                m[n++] = *c;
            }
        }
        m[n] = '\0';
        *sent = respond_error(p, h, WM_ST_AUTH, m);
        return false;
    }
    return true;
}

static int dispatch(wm_protocol *p, const uint8_t *payload, size_t len)
{
    wm_frame_header h;
    const uint8_t *body;
    size_t body_len;
    if (wm_frame_parse(payload, len, &h, &body, &body_len) != WM_FRAME_OK) {
        p->frames_bad++;
        return 0; /* unreadable: the sender times out and retransmits */
    }
    p->frames_ok++;
    if (h.type != WM_FT_REQUEST) {
        return 0; /* responses and events are for hosts; ignoring them avoids echo loops */
    }
    if (h.version != WM_PROTO_VERSION) {
        return respond_error(p, &h, WM_ST_BAD_VERSION, "unsupported protocol version");
    }
    if (p->have_last && h.seq == p->last_seq && h.msg == p->last_msg &&
        h.msg != WM_MSG_PUSH_CHUNK) {
        /* Retransmitted request: its response was lost. Answer again, do not redo it. */
        return send_raw(p, p->tx_enc, p->tx_len);
    }
    if ((h.flags & (uint8_t)~WM_FRAME_FLAG_AUTH) != 0) {
        return respond_error(p, &h, WM_ST_MALFORMED, "unknown frame flags");
    }
    int sent = 0;
    if (!authorized(p, &h, &body_len, body, &sent)) {
        return sent;
    }
    wm_in in = {body, body_len, 0, false};
    wm_out o = {p->tx_raw + WM_FRAME_HEADER, 0, WM_PROTO_MAX_BODY, false};
    switch (h.msg) {
    case WM_MSG_NONCE: return do_nonce(p, &h, &o);
    case WM_MSG_SUBSCRIBE: return do_subscribe(p, &h, &in);
    case WM_MSG_INFO: return do_info(p, &h, &o);
    case WM_MSG_PUSH_BEGIN: return do_push_begin(p, &h, &in, &o);
    case WM_MSG_PUSH_CHUNK: return do_push_chunk(p, &h, &in, &o);
    case WM_MSG_PUSH_COMMIT: return do_commit(p, &h);
    case WM_MSG_PROVISION: return do_provision(p, &h, &in);
    case WM_MSG_LIST: return do_list(p, &h, &in, &o);
    case WM_MSG_REMOVE: return do_remove(p, &h, &in);
    case WM_MSG_RUN: return do_run(p, &h, &in, &o);
    case WM_MSG_START:
    case WM_MSG_STOP: return do_start_stop(p, &h, &in);
    case WM_MSG_LOGS: return do_logs(p, &h, &o);
    case WM_MSG_BRIDGE_IN: return do_bridge_in(p, &h, &in, &o);
    case WM_MSG_RESET:
        if (p->cfg.io.reset == NULL) {
            return respond_error(p, &h, WM_ST_NOT_SUPPORTED, "this port cannot reset");
        }
        p->reset_requested = true;
        return respond(p, &h, WM_ST_OK, 0);
    default: return respond_error(p, &h, WM_ST_UNKNOWN_MSG, "unknown message type");
    }
}

void wm_protocol_init(wm_protocol *p, const wm_protocol_config *cfg)
{
    p->cfg = *cfg;
    p->rx_len = 0;
    p->rx_overflow = false;
    p->tx_len = 0;
    p->have_last = false;
    p->last_seq = 0;
    p->last_msg = 0;
    p->ev_seq = 0;
    wm_log_ring_init(&p->log);
    wm_auth_pool_init(&p->auth);
    p->subscribed = false;
    p->sub_start_ms = 0;
    p->sub_ms = 0;
    p->run_name = NULL;
    p->reset_requested = false;
    p->waste_level = (int64_t)WM_PUSH_WASTE_ERASES * MS_PER_HOUR;
    p->waste_ms = cfg->millis != NULL ? cfg->millis() : 0u;
    p->push_erases = 0;
    p->frames_ok = 0;
    p->frames_bad = 0;
}

void wm_protocol_link_lost(wm_protocol *p)
{
    p->rx_len = 0;
    p->rx_overflow = false;
    p->have_last = false;
    p->subscribed = false; /* whoever connects next has not subscribed */
}

int wm_protocol_feed(wm_protocol *p, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b != 0) {
            if (p->rx_len < sizeof p->rx_enc) {
                p->rx_enc[p->rx_len++] = b;
            } else {
                p->rx_overflow = true; /* too long: drop it whole at the next delimiter */
            }
            continue;
        }
        size_t dec = 0;
        bool whole = !p->rx_overflow && p->rx_len > 0;
        if (whole && wm_cobs_decode(p->rx_enc, p->rx_len, p->rx_dec, sizeof p->rx_dec, &dec) == 0) {
            p->rx_len = 0;
            if (dispatch(p, p->rx_dec, dec) != 0) {
                return -1;
            }
            if (p->cfg.kick != NULL) {
                p->cfg.kick();
            }
            if (p->reset_requested && p->cfg.io.reset != NULL) {
                /* Nothing after a RESET belongs to this boot: stop here (a port whose
                 * reset returns boots again before handling more input). */
                p->reset_requested = false;
                p->rx_len = 0;
                p->cfg.io.reset(p->cfg.io.ctx);
                return 1;
            }
        } else if (whole || p->rx_overflow) {
            p->frames_bad++;
        }
        p->rx_len = 0;
        p->rx_overflow = false;
    }
    return 0;
}

int wm_protocol_poll(wm_protocol *p)
{
    uint8_t buf[256];
    for (;;) {
        int n = p->cfg.io.read(p->cfg.io.ctx, buf, sizeof buf);
        if (n < 0) {
            wm_protocol_link_lost(p);
            return -1;
        }
        if (n == 0) {
            return 0;
        }
        int rc = wm_protocol_feed(p, buf, (size_t)n);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }
    }
}

int wm_protocol_event(wm_protocol *p, uint8_t ev, const char *name, const char *text, size_t len)
{
    if (ev == WM_EV_LOG) {
        wm_log_ring_add(&p->log, name, wm_strlen(name), text, len);
    } else if (ev == WM_EV_OUTPUT && len >= 1u) {
        /* after the flags byte; each piece an entry of the ring */
        wm_log_ring_add(&p->log, name, wm_strlen(name), text + 1, len - 1u);
    }
    if (!event_allowed(p, name)) {
        return 0; /* kept for an authenticated LOGS; not shown to the line */
    }
    wm_out o = {p->ev_raw + WM_FRAME_HEADER, 0, WM_PROTO_EVENT_MAX, false};
    out_str8(&o, name);
    size_t room = o.cap - o.len;
    out_bytes(&o, text, len < room ? len : room);
    wm_frame_header h = {WM_PROTO_VERSION, WM_FT_EVENT, ev, 0, p->ev_seq++, 0};
    size_t n = 0;
    if (wm_frame_build(&h, o.body, o.len, p->ev_raw, sizeof p->ev_raw, p->ev_enc, sizeof p->ev_enc,
                       &n) != 0) {
        return -1;
    }
    return send_raw(p, p->ev_enc, n);
}
