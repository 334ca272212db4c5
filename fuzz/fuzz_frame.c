/* libFuzzer target: the protocol's frame decoder and request dispatcher, driven through the
 * whole device (core/device/device.h: protocol, module store, config area, supervisor) with
 * its flash region on a NOR flash emulated in RAM, exactly as the QEMU firmware runs it.
 *
 * The input is a list of records, so that mutations reach the dispatcher and the store
 * instead of dying at the CRC check or the SHA-256 of a push:
 *   0x00-0x3F  request frame: msg = op; u8 flags; u16 LE body length n; n body bytes (the
 *              harness adds version 1, a fresh seq, the CRC and COBS)
 *   0x40-0x7F  the same with protocol version 2 (msg = op & 0x3F)
 *   0x80-0xBF  raw bytes: u8 n, then n bytes fed to the UART as they are
 *   0xC0-0xDF  a whole push of module "m<op & 7>": u8 push flags, u16 LE size, size bytes of
 *              image. The harness sends PUSH_BEGIN with the image's true SHA-256, every
 *              chunk and PUSH_COMMIT, so the image reaches the commit-time validation
 *              (op & 0x08: announce a wrong hash; op & 0x10: stop before PUSH_COMMIT)
 *   0xE0-0xEF  boot again on the same flash (mount, autostart): a power cycle (RAM lost),
 *              or with op & 1 a watchdog reset while a module ran (RAM kept: the crash is
 *              attributed to that module)
 *   0xF0-0xFF  flash damage: u16 LE offset, u8 xor mask applied to that store byte
 * Each record is fed, then the device is polled until it has consumed it.
 *
 * Oracles besides the sanitizers:
 *   - every byte the device sends decodes as a frame with a good CRC, version 1, type
 *     response or event, and a known status;
 *   - at the end the device still answers INFO (it never stops answering);
 *   - unless the input damaged the flash: the store mounted afresh lists exactly the
 *     modules the running device lists, and every image hashes to its recorded SHA-256;
 *   - no call the device makes into the runtime (wm_call, interposed with -Wl,--wrap)
 *     carries a reference-typed argument: bits from the wire never become a funcref or an
 *     externref (issue 14, item 1);
 *   - on a provisioned device every request frame without a token, other than INFO, NONCE
 *     and the push, is answered AUTH, whatever its body: nothing the fuzzer sends (it
 *     cannot sign) reaches a management command (issue 14, item 5);
 *   - a module runs only under its own name: every loaded slot's manifest names its store
 *     record (issue 14 item 7), checked after every record;
 *   - unless the input damaged the flash: every module key-value record belongs to a module
 *     in the store (a package claiming another name never wrote into that name's data, and
 *     rm deleted what it had), module data fits the pool the supervisor gives modules and
 *     the firmware's records fit their reserve (issue 14 item 2). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/wm_bytes.h"
#include "crypto/sha256.h"
#include "device/device.h"
#include "protocol/frame.h"
#include "fuzz_check.h"
#if WM_PREDECODE
#include "runtime/wm_pd.h"

/* the firmware's pre-decoder: installs store a form beside the module, loads bind it */
static const wm_sup_pd_ops g_pd_ops = {wm_pd_translate_kept, wm_pd_attach};
#endif

#define STORE_SIZE (96u * 1024u) /* a 64 KiB module store, then a 32 KiB config area */
#define KV_SIZE (32u * 1024u)    /* room for the firmware's records and module data */
#define STORE_SECTOR 1024u
#define RAM_SIZE (256u * 1024u)
#define FEED_MAX (96u * 1024u)
#define MAX_BOOTS 6u
#define LIVENESS_SEQ 0xBEEFu

/* Harness state: the port side of the device (a port may keep statics; the core does not). */
static wm_device g_dev;
static uint8_t g_store[STORE_SIZE];
static uint8_t g_ram[RAM_SIZE] __attribute__((aligned(16)));
static uint8_t g_feed[FEED_MAX]; /* bytes waiting on the "UART" */
static size_t g_feed_len;
static size_t g_feed_pos;
static bool g_reset;
static uint32_t g_next_cause = WM_RESET_POWER; /* of the next boot */
static uint16_t g_seq;
/* The device's output, checked frame by frame as it arrives. */
static uint8_t g_out[WM_PROTO_MAX_ENCODED + 16u];
static size_t g_out_len;
static bool g_out_overflow;
static bool g_saw_liveness;
static uint32_t g_millis;          /* a clock that advances as the device looks at it */
static wm_sup_retained g_retained; /* "RAM kept across resets" */

/* Every wm_call from outside the runtime (RUN, the scheduler's entry calls). */
wm_err __real_wm_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
                      wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err);
wm_err __wrap_wm_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
                      wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err);
wm_err __wrap_wm_call(wm_instance *inst, const wm_func *f, const wm_val *args, uint32_t nargs,
                      wm_val *results, uint32_t nresults, uint64_t fuel, wm_error *err)
{
    for (uint32_t i = 0; i < nargs; i++) {
        CHECK(args[i].type == WM_I32 || args[i].type == WM_I64 || args[i].type == WM_F32 ||
              args[i].type == WM_F64);
    }
    return __real_wm_call(inst, f, args, nargs, results, nresults, fuel, err);
}

/* The request frame the item-5 oracle watches (armed while the device is provisioned). */
static bool g_auth_armed;
static uint16_t g_auth_seq;
static uint8_t g_auth_msg;

static bool open_msg(uint8_t msg)
{
    return msg == WM_MSG_INFO || msg == WM_MSG_NONCE || msg == WM_MSG_PUSH_BEGIN ||
           msg == WM_MSG_PUSH_CHUNK || msg == WM_MSG_PUSH_COMMIT;
}

static void check_frame(const uint8_t *enc, size_t len)
{
    static uint8_t dec[WM_PROTO_MAX_PAYLOAD];
    size_t n = 0;
    CHECK(wm_cobs_decode(enc, len, dec, sizeof dec, &n) == 0);
    wm_frame_header h;
    const uint8_t *body;
    size_t body_len;
    CHECK(wm_frame_parse(dec, n, &h, &body, &body_len) == WM_FRAME_OK);
    CHECK(h.version == WM_PROTO_VERSION);
    CHECK(h.type == WM_FT_RESPONSE || h.type == WM_FT_EVENT);
    CHECK(h.status <= WM_ST_AUTH); /* the last status wire.h defines */
    CHECK(body_len <= WM_PROTO_MAX_BODY);
    if (g_auth_armed && h.type == WM_FT_RESPONSE && h.seq == g_auth_seq && h.msg == g_auth_msg) {
        CHECK(h.status == WM_ST_AUTH);
        g_auth_armed = false;
    }
    if (h.type == WM_FT_RESPONSE && h.seq == LIVENESS_SEQ && h.msg == WM_MSG_INFO &&
        h.status == WM_ST_OK) {
        g_saw_liveness = true;
    }
}

static size_t tx(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != 0) {
            if (g_out_len < sizeof g_out) {
                g_out[g_out_len++] = buf[i];
            } else {
                g_out_overflow = true;
            }
            continue;
        }
        CHECK(!g_out_overflow && g_out_len > 0); /* no oversized or empty frames */
        check_frame(g_out, g_out_len);
        g_out_len = 0;
    }
    return len;
}

static uint32_t millis(void) { return g_millis += 1u; }

static void idle(void) { g_millis += 10u; }

/* Deterministic "jitter", so that a run replays exactly (NONCE works, nothing is secret). */
static int entropy(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(g_millis * 31u + i);
    }
    return WM_RANDOM_SEEDED;
}

static int rx_byte(void) { return g_feed_pos < g_feed_len ? g_feed[g_feed_pos++] : -1; }

static void do_reset(void) { g_reset = true; /* like the posix port: the main loop boots again */ }

static void feed(const uint8_t *p, size_t n)
{
    if (n > FEED_MAX - g_feed_len) {
        n = FEED_MAX - g_feed_len;
    }
    memcpy(g_feed + g_feed_len, p, n);
    g_feed_len += n;
}

static void feed_frame(uint8_t version, uint8_t msg, uint8_t flags, uint16_t seq,
                       const uint8_t *body, size_t n)
{
    static uint8_t scratch[WM_PROTO_MAX_PAYLOAD];
    static uint8_t enc[WM_PROTO_MAX_ENCODED];
    wm_frame_header h = {version, WM_FT_REQUEST, msg, flags, seq, 0};
    size_t out_len = 0;
    if (n > WM_PROTO_MAX_BODY) {
        n = WM_PROTO_MAX_BODY;
    }
    CHECK(wm_frame_build(&h, body, n, scratch, sizeof scratch, enc, sizeof enc, &out_len) ==
          WM_FRAME_OK);
    feed(enc, out_len);
}

static void boot(wm_device_config *cfg)
{
    cfg->reset_cause = g_reset ? WM_RESET_SOFTWARE : g_next_cause;
    if (cfg->reset_cause == WM_RESET_POWER) {
        memset(&g_retained, 0, sizeof g_retained);
    }
    g_next_cause = WM_RESET_POWER;
    g_reset = false;
    /* Every flash state the device or a power cut can leave must mount. */
    CHECK(wm_device_boot(&g_dev, cfg) == 0);
}

/* Poll until the device has read everything fed so far; a RESET boots it again. */
static void run(wm_device_config *cfg, unsigned *boots)
{
    for (unsigned k = 0; k < 4096u; k++) {
        (void)wm_device_poll(&g_dev);
        if (g_reset) {
            if (++*boots > MAX_BOOTS) {
                g_feed_pos = g_feed_len; /* enough reboots: drop the rest */
            }
            boot(cfg);
        }
        if (g_feed_pos >= g_feed_len) {
            break;
        }
    }
    /* a few slices for a background module (START) */
    for (unsigned k = 0; k < 4u; k++) {
        (void)wm_device_poll(&g_dev);
        if (g_reset) {
            ++*boots;
            boot(cfg);
        }
    }
    g_feed_len = g_feed_pos = 0;
}

static void push(uint8_t op, uint8_t flags, const uint8_t *img, uint16_t size)
{
    uint8_t body[WM_PROTO_MAX_BODY];
    uint8_t sha[32];
    (void)wm_sha256(img, size, sha);
    if (op & 0x08u) {
        sha[0] ^= 1u;
    }
    /* PUSH_BEGIN: u32 size, u32 flags, sha, str8 name */
    wm_st32(body, size);
    wm_st32(body + 4, flags);
    memcpy(body + 8, sha, 32);
    body[40] = 2;
    body[41] = 'm';
    body[42] = (uint8_t)('0' + (op & 7u));
    feed_frame(WM_PROTO_VERSION, WM_MSG_PUSH_BEGIN, 0, g_seq++, body, 43);
    for (uint32_t off = 0; off < size; off += WM_PROTO_MAX_CHUNK) {
        uint32_t n = size - off < WM_PROTO_MAX_CHUNK ? size - off : WM_PROTO_MAX_CHUNK;
        wm_st32(body, off);
        memcpy(body + 4, img + off, n);
        feed_frame(WM_PROTO_VERSION, WM_MSG_PUSH_CHUNK, 0, g_seq++, body, 4u + n);
    }
    if (!(op & 0x10u)) {
        feed_frame(WM_PROTO_VERSION, WM_MSG_PUSH_COMMIT, 0, g_seq++, NULL, 0);
    }
}

/* Every started module runs under its own name (its data and pins are keyed by it). */
static void check_identity(void)
{
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        const wm_slot *sl = &g_dev.sup.slots[i];
        if (sl->name[0] != '\0' && sl->loaded) {
            CHECK(strcmp(sl->name, sl->sb.manifest.name) == 0);
        }
    }
}

/* Module data is keyed by store names and within the module pool; the firmware's records
 * within their reserve. */
static void check_config_area(void)
{
    static wm_kv fresh;
    memset(&fresh, 0, sizeof fresh);
    CHECK(wm_kv_mount(&fresh, g_dev.kv.flash) == 0);
    uint32_t pos = 0, mod = 0, sys = 0;
    wm_kv_entry e;
    int rc;
    while ((rc = wm_kv_next_live(&fresh, &pos, &e)) == 1) {
        if (e.ns[0] == '#') {
            sys += e.bytes;
            continue;
        }
        char name[WM_KV_NS_MAX + 1];
        uint32_t idx = 0;
        memcpy(name, e.ns, e.ns_len);
        name[e.ns_len] = '\0';
        CHECK(wm_store_find(&g_dev.store, name, &idx) == WM_STORE_OK);
        mod += e.bytes;
    }
    CHECK(rc == 0);
    CHECK(mod <= wm_sup_kv_pool(&fresh) && sys <= WM_SUP_KV_RESERVE);
}

/* The store as a fresh mount sees it must be the store the device is running on. */
static void check_store(void)
{
    static wm_store fresh;
    const wm_store *live = &g_dev.store;
    memset(&fresh, 0, sizeof fresh);
    CHECK(wm_store_mount(&fresh, live->flash) == WM_STORE_OK);
    uint32_t n = wm_store_count(live);
    CHECK(wm_store_count(&fresh) == n);
    for (uint32_t i = 0; i < n; i++) {
        wm_store_info a, b;
        CHECK(wm_store_get(live, i, &a) == WM_STORE_OK);
        CHECK(wm_store_get(&fresh, i, &b) == WM_STORE_OK);
        CHECK(strcmp(a.name, b.name) == 0 && a.size == b.size && a.flags == b.flags);
        CHECK(memcmp(a.sha256, b.sha256, 32) == 0);
        const uint8_t *img = wm_store_image(&fresh, i);
        CHECK(img != NULL);
        uint8_t sha[32];
        (void)wm_sha256(img, b.size, sha);
        CHECK(memcmp(sha, b.sha256, 32) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_device_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.read_byte = rx_byte;
    cfg.write = tx;
    cfg.idle = idle;
    cfg.reset = do_reset;
    cfg.millis = millis;
    cfg.entropy = entropy;
    cfg.board = "fuzz";
    cfg.firmware_version = "fuzz 0";
    cfg.flash = NULL;
    cfg.store_mem = g_store;
    cfg.store_size = STORE_SIZE;
    cfg.store_sector = STORE_SECTOR;
    cfg.kv_size = KV_SIZE;
    cfg.ram = g_ram;
    cfg.ram_size = RAM_SIZE;
    cfg.run_fuel = 20000;
#if WM_PREDECODE
    cfg.pd = &g_pd_ops;
#endif
    cfg.retained = &g_retained;
    cfg.reset_cause = WM_RESET_POWER;
    memset(g_store, 0xFF, sizeof g_store);
    g_next_cause = WM_RESET_POWER;
    g_millis = 0;
    g_feed_len = g_feed_pos = 0;
    g_out_len = 0;
    g_out_overflow = false;
    g_saw_liveness = false;
    g_auth_armed = false;
    g_seq = 1;
    unsigned boots = 0;
    bool damaged = false;
    boot(&cfg);

    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        if (op < 0x80u) {
            if (size - i < 3u) {
                break;
            }
            size_t n = (size_t)data[i + 1] | ((size_t)data[i + 2] << 8);
            uint8_t flags = data[i];
            i += 3u;
            n = n < size - i ? n : size - i;
            g_auth_armed =
                (op & 0x40u) == 0 && flags == 0 && g_dev.sup.nkeys > 0 && !open_msg(op & 0x3Fu);
            g_auth_seq = g_seq;
            g_auth_msg = op & 0x3Fu;
            feed_frame((op & 0x40u) ? 2u : WM_PROTO_VERSION, op & 0x3Fu, flags, g_seq++, data + i,
                       n);
            i += n;
        } else if (op < 0xC0u) {
            size_t n = i < size ? data[i++] : 0u;
            n = n < size - i ? n : size - i;
            feed(data + i, n);
            i += n;
        } else if (op < 0xE0u) {
            if (size - i < 3u) {
                break;
            }
            uint8_t flags = data[i];
            size_t n = (size_t)data[i + 1] | ((size_t)data[i + 2] << 8);
            i += 3u;
            n = n < size - i ? n : size - i;
            push(op, flags, data + i, (uint16_t)n);
            i += n;
        } else if (op < 0xF0u) {
            run(&cfg, &boots);
            g_next_cause = (op & 1u) ? WM_RESET_WATCHDOG : WM_RESET_POWER;
            if (boots++ < MAX_BOOTS) {
                boot(&cfg);
            }
            continue;
        } else {
            if (size - i < 3u) {
                break;
            }
            uint32_t off = ((uint32_t)data[i] | ((uint32_t)data[i + 1] << 8)) % STORE_SIZE;
            g_store[off] ^= data[i + 2];
            damaged = damaged || data[i + 2] != 0;
            i += 3u;
            continue;
        }
        run(&cfg, &boots);
        g_auth_armed = false;
        check_identity();
    }
    run(&cfg, &boots);
    check_identity();

    /* Liveness: after a delimiter (ends any partial frame the input left), INFO answers. */
    static const uint8_t zero = 0;
    feed(&zero, 1);
    feed_frame(WM_PROTO_VERSION, WM_MSG_INFO, 0, LIVENESS_SEQ, NULL, 0);
    run(&cfg, &boots);
    CHECK(g_saw_liveness);
    if (!damaged) {
        check_store();
        check_config_area();
    }
    return 0;
}
