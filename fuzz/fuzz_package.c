/* libFuzzer target: the device-side package container parser, manifest decoder, signature
 * check and install path (core/sandbox: package.c, policy.c, link.c, sandbox.c, hostapi.c)
 * and the Ed25519 verifier (core/crypto).
 *
 * Input byte 0 picks the mode, so the parts behind the content hash are reachable too (the
 * fuzzer cannot forge SHA-256, so some modes recompute the hash section first):
 *   0: the rest is a whole .wmp: parse, verify the signature, decode the manifest
 *   1: the same after recomputing the content hash
 *   2: the rest is a manifest payload alone (wm_pkg_manifest on a synthetic package)
 *   3: the rest is a capability argument for the pin / pattern / topic grammars
 *   4: recompute the hash, install on an unprovisioned device (policy, load, link,
 *      instantiate), then call up to 4 exports with edge-case arguments (host API)
 *   5: the same on a device provisioned with the golden test key and version pins
 *   6: Ed25519 verification: 32-byte key, 64-byte signature, then the message
 *
 * Oracles besides the sanitizers: whatever parses points only inside the input; a refusal
 * has a known code and a NUL-terminated message; a provisioned device installs only
 * packages signed by its key. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "sandbox/sandbox.h"
#include "store/flash_ram.h"
#include "fuzz_check.h"

#define MAX_INPUT (256u * 1024u)
#define ARENA_SIZE (4u * 1024u * 1024u)
#define KV_SECTOR 1024u
#define KV_SIZE 4096u
#define CALL_FUEL 2000u

/* The Ed25519 key of tests/package/golden (seed 00 01 .. 1f). */
static const uint8_t golden_pub[32] = {
    0x03, 0xa1, 0x07, 0xbf, 0xf3, 0xce, 0x10, 0xbe, 0x1d, 0x70, 0xdd, 0x18, 0xe7, 0x4b, 0xc0, 0x99,
    0x67, 0xe4, 0xd6, 0x30, 0x9b, 0xa5, 0x0d, 0x5f, 0x1d, 0xdc, 0x86, 0x64, 0x12, 0x55, 0x31, 0xb8};

static uint8_t g_arena_mem[ARENA_SIZE] __attribute__((aligned(16)));
static uint8_t g_kv_mem[KV_SIZE];

static bool inside(const wm_package *pkg, const uint8_t *p, uint32_t n)
{
    return p >= pkg->bytes && (size_t)(p - pkg->bytes) <= pkg->size &&
           n <= pkg->size - (uint32_t)(p - pkg->bytes);
}

/* A refusal: one of the statuses a package can get, the same in the message, and its text
 * NUL-terminated inside its buffer. */
static void check_error(int rc, const wm_msg *err)
{
    CHECK(rc == WM_ST_INVALID_MODULE || rc == WM_ST_DENIED || rc == WM_ST_NO_RAM ||
          rc == WM_ST_TRAP);
    CHECK(err->status == (wm_status)rc);
    CHECK(err->len < err->cap && memchr(err->buf, 0, err->cap) != NULL);
}

static void check_parsed(const wm_package *pkg)
{
    CHECK(pkg->content_len + WM_PKG_HASH_SECTION_SIZE <= pkg->size);
    CHECK(inside(pkg, pkg->manifest, pkg->manifest_len));
    CHECK(inside(pkg, pkg->module, pkg->module_len));
    CHECK(pkg->naot <= WM_PKG_AOT_MAX);
    for (uint32_t i = 0; i < pkg->naot; i++) {
        CHECK(inside(pkg, pkg->aot[i].code, pkg->aot[i].len));
    }
    if (pkg->is_signed) {
        CHECK(inside(pkg, pkg->signer, 32) && inside(pkg, pkg->signature, 64));
    }
}

static void check_all(const uint8_t *p, uint32_t n)
{
    wm_package pkg;
    char err_buf[WM_MSG_MAX];
    wm_msg err;
    wm_msg_init(&err, err_buf, sizeof err_buf);
    int rc = wm_pkg_parse(p, n, &pkg, &err);
    if (rc != 0) {
        check_error(rc, &err);
        return;
    }
    check_parsed(&pkg);
    if (pkg.is_signed) {
        static const uint8_t other[32] = {1};
        (void)wm_pkg_verify_with(&pkg, pkg.signer, &err);
        CHECK(wm_pkg_verify_with(&pkg, other, &err) != 0);
    }
    wm_manifest m;
    rc = wm_pkg_manifest(&pkg, &m, &err);
    if (rc != 0) {
        check_error(rc, &err);
        return;
    }
    CHECK(m.ncaps <= WM_PKG_CAPS_MAX);
    CHECK(memchr(m.name, 0, sizeof m.name) != NULL && m.name[0] != 0);
    for (uint32_t i = 0; i < m.ncaps; i++) {
        CHECK(inside(&pkg, m.caps[i].arg, m.caps[i].arg_len));
    }
}

/* Finds the hash section at C and rewrites its header and digest. */
static void fix_hash(uint8_t *p, uint32_t n)
{
    if (n < 16u) {
        return;
    }
    uint32_t c =
        (uint32_t)p[8] | ((uint32_t)p[9] << 8) | ((uint32_t)p[10] << 16) | ((uint32_t)p[11] << 24);
    if (c < 16u || c > n || n - c < 40u) {
        return;
    }
    /* hash section header: kind 0x80, flags 0, reserved 0, length 32 */
    static const uint8_t hdr[8] = {0x80u, 0u, 0u, 0u, 32u, 0u, 0u, 0u};
    memcpy(p + c, hdr, sizeof hdr);
    (void)wm_sha256(p, c, p + c + 8u);
}

static int pinned(void *ctx, const char *name, uint16_t version[3])
{
    (void)ctx;
    /* every module whose name starts with 'p' was installed at 1.2.3 before */
    if (name[0] != 'p') {
        return 0;
    }
    version[0] = 1;
    version[1] = 2;
    version[2] = 3;
    return 1;
}

static wm_val arg_for(uint8_t type, unsigned variant)
{
    static const uint64_t edge[4] = {0u, UINT64_MAX, 0x80000000u, 16u};
    wm_val v;
    memset(&v, 0, sizeof v);
    v.type = type;
    if (type == WM_I32 || type == WM_F32) {
        v.of.i32 = (uint32_t)edge[variant % 4u];
    } else if (type == WM_I64 || type == WM_F64) {
        v.of.i64 = edge[variant % 4u];
    }
    return v;
}

static void install(const uint8_t *p, uint32_t n, bool provisioned)
{
    static wm_sb_host host;
    static wm_sb_module mod;
    static wm_flash_ram flash;
    static wm_kv kv;
    wm_sb_device dev;
    memset(&dev, 0, sizeof dev);
    dev.keys = provisioned ? &golden_pub : NULL;
    dev.nkeys = provisioned ? 1u : 0u;
    dev.pinned = provisioned ? pinned : NULL;
    dev.arch = WM_AOT_X86_64;
    dev.aot_abi = 1;

    memset(g_kv_mem, 0xFF, sizeof g_kv_mem);
    CHECK(wm_flash_ram_init(&flash, g_kv_mem, KV_SIZE, KV_SECTOR) == 0);
    CHECK(wm_kv_mount(&kv, &flash.ops) == 0);
    wm_sb_platform plat;
    memset(&plat, 0, sizeof plat); /* no clock, log, scheduler or pins: the minimum */
    plat.kv = &kv;
    wm_sb_host_init(&host, &plat);

    wm_arena arena;
    wm_arena_init(&arena, g_arena_mem, sizeof g_arena_mem);
    char err_buf[WM_MSG_MAX];
    wm_msg err;
    wm_msg_init(&err, err_buf, sizeof err_buf);
    int rc = wm_sb_install(&host, &mod, &arena, p, n, &dev, &err);
    if (rc != 0) {
        check_error(rc, &err);
        return;
    }
    check_parsed(&mod.pkg);
    if (provisioned) {
        /* the only way in: a valid signature by the provisioned key */
        CHECK(mod.pkg.is_signed && memcmp(mod.pkg.signer, golden_pub, 32) == 0);
        CHECK(wm_pkg_verify_with(&mod.pkg, golden_pub, &err) == 0);
    } else {
        CHECK(mod.decision.aot == NULL); /* never unsigned native code */
    }
    /* a fuzzed manifest may allow billions of instructions per slice: cap them here */
    if (mod.manifest.fuel > CALL_FUEL) {
        mod.manifest.fuel = CALL_FUEL;
    }
    uint32_t count = wm_export_count(mod.inst);
    unsigned called = 0;
    for (uint32_t i = 0; i < count && called < 4u; i++) {
        const char *name;
        uint32_t name_len;
        wm_extern ext;
        if (wm_export_at(mod.inst, i, &name, &name_len, &ext) != WM_OK ||
            ext.kind != WM_EXTERN_FUNC || name_len > 63u) {
            continue;
        }
        char cname[64];
        memcpy(cname, name, name_len);
        cname[name_len] = 0;
        uint32_t np, nr;
        const uint8_t *pt, *rt;
        wm_func_sig(ext.of.func, &np, &pt, &nr, &rt);
        if (np > 8u || nr > 8u || strlen(cname) != name_len) {
            continue;
        }
        wm_val args[8], res[8];
        for (uint32_t k = 0; k < np; k++) {
            args[k] = arg_for(pt[k], called + k);
        }
        called++;
        wm_error e;
        if (wm_sb_call(&mod, cname, args, np, res, nr, &e) == WM_ERR_OUT_OF_FUEL &&
            wm_suspended(mod.inst)) {
            wm_abort(mod.inst);
        }
    }
    wm_sb_uninstall(&mod);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1u || size - 1u > MAX_INPUT) {
        return 0;
    }
    uint8_t mode = data[0];
    uint32_t n = (uint32_t)(size - 1u);
    /* An exact-size private copy: a read past the end lands in ASan's redzone, and the
     * modes that rewrite the hash section need a writable buffer. */
    uint8_t *p = malloc(n > 0 ? n : 1u);
    CHECK(p != NULL);
    memcpy(p, data + 1, n);
    switch (mode % 7u) {
    case 0: check_all(p, n); break;
    case 1:
        fix_hash(p, n);
        check_all(p, n);
        break;
    case 2: {
        wm_package pkg;
        wm_manifest m;
        char err_buf[WM_MSG_MAX];
        wm_msg err;
        wm_msg_init(&err, err_buf, sizeof err_buf);
        memset(&pkg, 0, sizeof pkg);
        pkg.bytes = p;
        pkg.size = n;
        pkg.manifest = p;
        pkg.manifest_len = n;
        int rc = wm_pkg_manifest(&pkg, &m, &err);
        if (rc != 0) {
            check_error(rc, &err);
        }
        break;
    }
    case 3:
        (void)wm_pkg_pin_name_ok(p, n);
        (void)wm_pkg_pattern_ok(p, n);
        /* every topic is a pattern that matches only itself */
        CHECK(!wm_pkg_topic_ok(p, n) || wm_pkg_pattern_ok(p, n));
        break;
    case 4:
    case 5:
        fix_hash(p, n);
        install(p, n, mode % 7u == 5u);
        break;
    default:
        if (n >= 96u) {
            (void)wm_ed25519_verify(p, p + 96, n - 96u, p + 32);
        }
        break;
    }
    free(p);
    return 0;
}
