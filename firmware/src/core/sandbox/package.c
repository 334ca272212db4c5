/* .wmp container and manifest reader, written from docs/module-format.md. */
#include "package.h"
#include "periph_target.h"
#include "sb_api.h"

#include "ed25519.h"
#include "sha256.h"

static const uint8_t k_magic[4] = {0x00, 0x77, 0x6D, 0x70};
static const uint8_t k_wasm_magic[4] = {0x00, 0x61, 0x73, 0x6D};
static const char k_sig_domain[] = "wasmote-package-v1"; /* + NUL = 19 bytes */

static int fmt(wm_msg *err, uint32_t off, const char *a, const char *b)
{
    wm_msg_fail_at(err, WM_ST_INVALID_MODULE, "package", off, a);
    wm_msg_put(err, b);
    return WM_ST_INVALID_MODULE;
}

static bool all_zero(const uint8_t *p, uint32_t n)
{
    uint8_t acc = 0;
    for (uint32_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

/* Step 2: the N content sections lie back to back in [16, C). */
static int parse_sections(const uint8_t *b, uint32_t count, uint32_t clen, wm_package *pkg,
                          wm_msg *err)
{
    uint32_t pos = WM_PKG_HEADER_SIZE;
    bool seen_optional = false;
    for (uint32_t i = 0; i < count; i++) {
        if (clen - pos < 8u) /* pos <= clen holds: it starts at 16 and only grows to clen */
            return fmt(err, pos, "section header runs past the end of the content", NULL);
        uint8_t kind = b[pos], flags = b[pos + 1];
        uint32_t len = wm_ld32(b + pos + 4);
        if (wm_ld16(b + pos + 2) != 0)
            return fmt(err, pos + 2, "section: reserved field is not zero", NULL);
        uint32_t start = pos + 8u;
        /* 64-bit arithmetic: len is hostile and may be close to 2^32 */
        uint64_t padded = (uint64_t)start + len + ((8u - (len & 7u)) & 7u);
        if (padded > clen)
            return fmt(err, pos + 4, "section payload runs past the end of the content", NULL);
        uint32_t end = start + len;
        if (!all_zero(b + end, (uint32_t)padded - end))
            return fmt(err, end, "section padding bytes are not zero", NULL);
        if (flags & (uint8_t)~1u) return fmt(err, pos + 1, "section: reserved flag bits set", NULL);
        bool known = kind == WM_PKG_KIND_MANIFEST || kind == WM_PKG_KIND_MODULE ||
                     kind == WM_PKG_KIND_AOT || kind == WM_PKG_KIND_HASH ||
                     kind == WM_PKG_KIND_SIGNATURE;
        if (flags && known)
            return fmt(err, pos + 1, "section: flags must be 0 for a defined kind", NULL);
        if (i == 0 && kind != WM_PKG_KIND_MANIFEST)
            return fmt(err, pos, "section 0 must be the MANIFEST section", NULL);
        if (i == 1 && kind != WM_PKG_KIND_MODULE)
            return fmt(err, pos, "section 1 must be the MODULE section", NULL);
        if (i == 0) {
            if (len > WM_PKG_MANIFEST_MAX)
                return fmt(err, pos + 4, "manifest longer than 2048 bytes", NULL);
            pkg->manifest = b + start;
            pkg->manifest_len = len;
            pkg->manifest_off = start;
        } else if (i == 1) {
            if (len < 4u || !wm_memeq(b + start, k_wasm_magic, 4))
                return fmt(err, start, "MODULE section does not start with the wasm magic", NULL);
            pkg->module = b + start;
            pkg->module_len = len;
            pkg->module_off = start;
        } else if (kind == WM_PKG_KIND_AOT) {
            if (seen_optional)
                return fmt(err, pos, "AOT sections must come before optional sections", NULL);
            if (len < 8u) return fmt(err, start, "AOT section shorter than its header", NULL);
            const uint8_t *a = b + start;
            if (a[1] != 0 || wm_ld32(a + 4) != 0)
                return fmt(err, start + 1, "AOT section: reserved fields are not zero", NULL);
            for (uint32_t j = 0; j < pkg->naot; j++)
                if (pkg->aot[j].arch == a[0])
                    return fmt(err, start, "AOT section: a second one for an architecture", NULL);
            if (pkg->naot == WM_PKG_AOT_MAX)
                return fmt(err, start, "AOT section: too many architectures", NULL);
            wm_pkg_aot *dst = &pkg->aot[pkg->naot++];
            dst->arch = a[0];
            dst->abi = wm_ld16(a + 2);
            dst->code = a + 8;
            dst->len = len - 8u;
        } else if (known) {
            return fmt(err, pos, "section kind not allowed here", NULL);
        } else if (flags & 1u) {
            seen_optional = true; /* unknown optional kind: kept, covered by the hash */
        } else {
            return fmt(err, pos, "unknown section kind that is not marked optional", NULL);
        }
        pos = (uint32_t)padded;
    }
    if (pos != clen)
        return fmt(err, pos, "bytes between the last section and the end of the content", NULL);
    return WM_ST_OK;
}

bool wm_pkg_has_magic(const uint8_t *bytes, uint32_t size)
{
    return bytes != NULL && size >= 4u && wm_memeq(bytes, k_magic, 4);
}

int wm_pkg_parse(const uint8_t *b, uint32_t size, wm_package *pkg, wm_msg *err)
{
    return wm_pkg_parse_metered(b, size, NULL, pkg, err);
}

int wm_pkg_parse_metered(const uint8_t *b, uint32_t size, struct wm_work *work, wm_package *pkg,
                         wm_msg *err)
{
    if (!b || !pkg) return wm_msg_fail(err, WM_ST_BAD_ARGS, "no package");
    wm_memset(pkg, 0, sizeof *pkg);
    /* 1: header */
    if (size < WM_PKG_HEADER_SIZE) {
        if (size >= 4 && !wm_memeq(b, k_magic, 4))
            return fmt(err, 0, "not a wasmote package (bad magic)", NULL);
        return fmt(err, size, "truncated header", NULL);
    }
    if (!wm_memeq(b, k_magic, 4)) {
        return fmt(err, 0, "not a wasmote package (bad magic)",
                   wm_memeq(b, k_wasm_magic, 4) ? ": a bare wasm module" : NULL);
    }
    if (b[4] != WM_PKG_FORMAT_VERSION)
        return fmt(err, 4, "unsupported package format version", NULL);
    if (b[5] != 0) return fmt(err, 5, "reserved header flags set", NULL);
    if (wm_ld32(b + 12) != 0) return fmt(err, 12, "reserved header field is not zero", NULL);
    uint32_t count = wm_ld16(b + 6);
    if (count < 2u || count > WM_PKG_MAX_SECTIONS)
        return fmt(err, 6, "section count out of range 2..16", NULL);
    uint32_t clen = wm_ld32(b + 8);
    if ((clen & 7u) || clen < WM_PKG_HEADER_SIZE || clen > WM_PKG_MAX_CONTENT)
        return fmt(err, 8, "content length not a multiple of 8 in 16..16 MiB", NULL);
    if ((uint64_t)clen + WM_PKG_HASH_SECTION_SIZE > size)
        return fmt(err, size, "truncated: the content and hash section need more bytes", NULL);
    pkg->bytes = b;
    pkg->size = size;
    pkg->content_len = clen;
    /* 2: sections */
    int rc = parse_sections(b, count, clen, pkg, err);
    if (rc) return rc;
    /* 3: hash section and the hash itself */
    const uint8_t *h = b + clen;
    if (h[0] != WM_PKG_KIND_HASH || h[1] != 0 || wm_ld16(h + 2) != 0 || wm_ld32(h + 4) != 32u)
        return fmt(err, clen, "expected the hash section (kind 0x80, length 32)", NULL);
    if (wm_sha256_metered(b, clen, pkg->hash, work) != WM_CRYPTO_OK)
        return wm_msg_fail_at(err, WM_ST_INVALID_MODULE, "package", clen,
                              "cannot hash the content");
    if (!wm_memeq(pkg->hash, h + 8, 32))
        return wm_msg_fail_at(err, WM_ST_INVALID_MODULE, "package", clen + 8u,
                              "content hash mismatch: the package is corrupted or was "
                              "modified");
    /* 4: optional signature section, and nothing after it */
    uint32_t pos = clen + WM_PKG_HASH_SECTION_SIZE;
    if (pos == size) return WM_ST_OK;
    if (size - pos < 8u) return fmt(err, pos, "trailing bytes after the hash section", NULL);
    const uint8_t *s = b + pos;
    if (s[0] != WM_PKG_KIND_SIGNATURE)
        return fmt(err, pos, "after the hash section: expected the signature section", NULL);
    if (s[1] != 0 || wm_ld16(s + 2) != 0 || wm_ld32(s + 4) != 100u)
        return fmt(err, pos, "signature section: expected flags 0 and length 100", NULL);
    if (size - pos != WM_PKG_SIG_SECTION_SIZE)
        return fmt(err, size - pos < WM_PKG_SIG_SECTION_SIZE ? size : pos + 112u,
                   size - pos < WM_PKG_SIG_SECTION_SIZE ? "signature section: truncated"
                                                        : "trailing bytes after the signature",
                   NULL);
    if (s[8] != 1u) return fmt(err, pos + 8u, "signature section: unknown algorithm", NULL);
    if (s[9] | s[10] | s[11] | s[108] | s[109] | s[110] | s[111])
        return fmt(err, pos + 9u, "signature section: reserved bytes are not zero", NULL);
    pkg->is_signed = true;
    pkg->signer = s + 12;
    pkg->signature = s + 44;
    return WM_ST_OK;
}

int wm_pkg_verify_with(const wm_package *pkg, const uint8_t pub[32], wm_msg *err)
{
    /* message = "wasmote-package-v1" 00 || SHA-256(content): 51 bytes */
    uint8_t msg[sizeof k_sig_domain + 32];
    wm_memcpy(msg, k_sig_domain, sizeof k_sig_domain);
    wm_memcpy(msg + sizeof k_sig_domain, pkg->hash, 32);
    if (!pkg->is_signed || wm_ed25519_verify(pub, msg, sizeof msg, pkg->signature) != WM_CRYPTO_OK)
        return wm_msg_fail_at(err, WM_ST_DENIED, NULL, pkg->content_len + WM_PKG_HASH_SECTION_SIZE,
                              "signature does not verify");
    return WM_ST_OK;
}

int wm_pkg_version_cmp(const uint16_t a[3], const uint16_t b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool wm_pkg_pin_name_ok(const uint8_t *s, uint32_t n)
{
    if (n == 0 || n > WM_PKG_CAP_ARG_MAX || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (uint32_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool segments_ok(const uint8_t *s, uint32_t n)
{
    uint32_t seg = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] == '/') {
            if (seg == 0) return false;
            seg = 0;
        } else if (is_alnum(s[i]) || s[i] == '_' || s[i] == '-') {
            seg++;
        } else {
            return false;
        }
    }
    return seg > 0;
}

bool wm_pkg_topic_ok(const uint8_t *s, uint32_t n)
{
    return n >= 1 && n <= WM_PKG_CAP_ARG_MAX && segments_ok(s, n);
}

bool wm_pkg_pattern_ok(const uint8_t *s, uint32_t n)
{
    if (n < 1 || n > WM_PKG_CAP_ARG_MAX) return false;
    if (n == 1 && s[0] == '*') return true;
    if (n >= 3 && s[n - 1] == '*' && s[n - 2] == '/') return segments_ok(s, n - 2);
    return segments_ok(s, n);
}

/* A bounded cursor over the manifest payload. */
typedef struct {
    const uint8_t *p;
    uint32_t len, pos, base;
} mcur;

static bool take(mcur *c, uint32_t n, const uint8_t **out)
{
    if (c->len - c->pos < n) return false;
    *out = c->p + c->pos;
    c->pos += n;
    return true;
}

/* A list of (u8 count, count x (u8 length, bytes)): arguments, or environment entries
 * (KEY=VALUE, KEY non-empty without '='). No NUL byte anywhere: they become C strings. */
static int strings(mcur *c, bool env, uint8_t *count, const uint8_t **out, uint32_t *len,
                   wm_msg *err)
{
    const uint8_t *p;
    uint32_t at = c->base + c->pos;
    if (!take(c, 1, &p))
        return fmt(err, at, "manifest truncated: ", env ? "environment" : "arguments");
    uint32_t n = p[0];
    if (n > (env ? WM_PKG_ENV_MAX : WM_PKG_ARGS_MAX))
        return fmt(err, at,
                   env ? "manifest: more than 32 environment entries"
                       : "manifest: more than 32 arguments",
                   NULL);
    *count = (uint8_t)n;
    *out = c->p + c->pos;
    for (uint32_t i = 0; i < n; i++) {
        at = c->base + c->pos;
        if (!take(c, 1, &p)) return fmt(err, at, "manifest truncated: ", "a string length");
        uint32_t sl = p[0];
        if (!take(c, sl, &p)) return fmt(err, at, "manifest truncated: ", "a string");
        uint32_t eq = sl;
        for (uint32_t k = 0; k < sl; k++) {
            if (p[k] == 0) return fmt(err, at + 1 + k, "manifest: NUL byte in a string", NULL);
            if (p[k] == '=' && eq == sl) eq = k;
        }
        if (env && (eq == 0 || eq == sl))
            return fmt(err, at, "manifest: environment entry is not KEY=VALUE", NULL);
    }
    *len = (uint32_t)(c->p + c->pos - *out);
    return WM_ST_OK;
}

int wm_pkg_manifest(const wm_package *pkg, wm_manifest *m, wm_msg *err)
{
    mcur c = {pkg->manifest, pkg->manifest_len, 0, pkg->manifest_off};
    const uint8_t *p;
    wm_memset(m, 0, sizeof *m);
#define NEED(n, what) \
    if (!take(&c, (n), &p)) return fmt(err, c.base + c.pos, "manifest truncated: ", (what))
    NEED(4, "header");
    if (p[0] < 1u || p[0] > WM_PKG_ENCODING_MAX)
        return fmt(err, c.base, "unknown manifest encoding version", NULL);
    uint8_t enc = p[0];
    if (p[1] != 1u)
        return wm_msg_fail_at(err, WM_ST_INVALID_MODULE, NULL, c.base + 1,
                              "host API version not implemented (this device runs API 1)");
    m->api = p[1];
    /* bit 0 autostart; bit 1 restart on trap (encoding 2 and later) */
    if (p[2] & (uint8_t) ~(enc >= 2u ? 3u : 1u))
        return fmt(err, c.base + 2, "manifest: reserved flag bits set", NULL);
    m->autostart = (p[2] & 1u) != 0;
    m->restart = (p[2] & 2u) != 0;
    m->cpu = 0;
    m->queue = WM_QUEUE_DEPTH;
    m->kv_write = WM_PKG_KV_WRITE_DEFAULT;
    uint32_t n = p[3];
    uint32_t at = c.base + c.pos;
    NEED(n, "name");
    if (n < 1 || n > WM_PKG_NAME_MAX || !is_alnum(p[0]))
        return fmt(err, at - 1, "manifest: bad module name", NULL);
    for (uint32_t i = 0; i < n; i++) {
        if (!(is_alnum(p[i]) || p[i] == '_' || p[i] == '.' || p[i] == '-'))
            return fmt(err, at + i, "manifest: bad character in the module name", NULL);
        m->name[i] = (char)p[i];
    }
    at = c.base + c.pos;
    NEED(22, "version and limits");
    for (int i = 0; i < 3; i++) m->version[i] = wm_ld16(p + 2 * i);
    m->mem_bytes = wm_ld32(p + 6);
    m->stack_bytes = wm_ld32(p + 10);
    m->fuel = wm_ld32(p + 14);
    m->kv_quota = wm_ld32(p + 18);
    if (m->stack_bytes < 256u || m->stack_bytes > 1048576u)
        return fmt(err, at + 10, "manifest: limits.stack out of range 256..1048576", NULL);
    if (m->fuel < 1u) return fmt(err, at + 14, "manifest: limits.fuel must be >= 1", NULL);
    if (m->kv_quota > 1048576u)
        return fmt(err, at + 18, "manifest: limits.kv out of range 0..1048576", NULL);
    NEED(1, "entry length");
    n = p[0];
    at = c.base + c.pos;
    NEED(n, "entry");
    if (n > WM_PKG_ENTRY_MAX) return fmt(err, at - 1, "manifest: entry longer than 32", NULL);
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] < 0x21 || p[i] > 0x7E)
            return fmt(err, at + i, "manifest: entry is not printable ASCII", NULL);
        m->entry[i] = (char)p[i];
    }
    NEED(1, "capability count");
    uint32_t k = p[0];
    if (k > WM_PKG_CAPS_MAX)
        return fmt(err, c.base + c.pos - 1,
                   "manifest: more than 32 "
                   "capabilities",
                   NULL);
    bool kv = false;
    for (uint32_t i = 0; i < k; i++) {
        at = c.base + c.pos;
        NEED(2, "capability");
        uint8_t kind = p[0], alen = p[1];
        const uint8_t *arg;
        if (!take(&c, alen, &arg))
            return fmt(err, at + 1, "manifest truncated: ", "capability argument");
        if (kind < WM_CAP_LOG || kind > WM_CAP_LAST)
            return fmt(err, at, "manifest: unknown capability kind", NULL);
        bool ok;
        if (kind == WM_CAP_GPIO)
            ok = (alen == 1 && arg[0] == '*') || wm_pkg_pin_name_ok(arg, alen);
        else if (kind == WM_CAP_PUBSUB || kind == WM_CAP_BRIDGE_OUT || kind == WM_CAP_BRIDGE_IN)
            ok = wm_pkg_pattern_ok(arg, alen);
        else if (wm_periph_kind(kind))
            ok = wm_periph_arg_ok(kind, arg, alen);
        else
            ok = alen == 0;
        if (!ok) return fmt(err, at + 1, "manifest: bad capability argument", NULL);
        for (uint32_t j = 0; j < m->ncaps; j++)
            if (m->caps[j].kind == kind && m->caps[j].arg_len == alen &&
                wm_memeq(m->caps[j].arg, arg, alen))
                return fmt(err, at, "manifest: a capability is listed twice", NULL);
        if (kind == WM_CAP_KV) kv = true;
        m->caps[m->ncaps].kind = kind;
        m->caps[m->ncaps].arg_len = alen;
        m->caps[m->ncaps].arg = arg;
        m->ncaps++;
    }
    if (enc >= 2u) {
        at = c.base + c.pos;
        NEED(5, "limits.cpu and limits.queue");
        m->cpu = wm_ld32(p);
        m->queue = p[4];
        if (m->queue < 1u || m->queue > WM_QUEUE_DEPTH)
            return fmt(err, at + 4, "manifest: limits.queue out of range 1..8", NULL);
        if (enc == 2u && m->cpu == 0 && m->queue == WM_QUEUE_DEPTH && !m->restart)
            return fmt(err, c.base, "manifest: encoding 2 without any of its fields", NULL);
    }
    if (enc >= 3u) {
        int rc = strings(&c, false, &m->nargs, &m->args, &m->args_len, err);
        if (rc) return rc;
        rc = strings(&c, true, &m->nenv, &m->env, &m->env_len, err);
        if (rc) return rc;
        if (enc == 3u && m->nargs == 0 && m->nenv == 0) /* canonical: nothing needs 3 */
            return fmt(err, c.base, "manifest: encoding 3 without arguments or environment", NULL);
    }
    if (enc == 4u) { /* canonical: only for a budget other than the default, with kv */
        at = c.base + c.pos;
        NEED(4, "limits.kv_write");
        m->kv_write = wm_ld32(p);
        if (m->kv_write == WM_PKG_KV_WRITE_DEFAULT)
            return fmt(err, c.base, "manifest: encoding 4 with the default limits.kv_write", NULL);
        if (!kv)
            return fmt(err, at, "manifest: limits.kv_write is set but 'kv' is not granted", NULL);
    }
#undef NEED
    if (c.pos != c.len)
        return fmt(err, c.base + c.pos, "manifest: trailing bytes after the capabilities", NULL);
    if (m->kv_quota && !kv)
        return fmt(err, c.base, "manifest: limits.kv is set but 'kv' is not granted", NULL);
    return WM_ST_OK;
}
