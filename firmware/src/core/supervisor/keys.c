/* Provisioning: the device's trusted Ed25519 public keys and their roles, kept in the
 * config area (kv namespace "#keys", which no module name can equal).
 *
 * Record: u32 generation | u8 n | n x (32-byte key, u8 roles)    (a record of the first
 * format, u32 counter | u8 n | n x 32-byte key, reads as keys with every role)
 *
 * PROVISION body: u8 flags | u8 n (0..4) | n x (32-byte key, u8 roles). Who may send it is
 * the protocol's business (protocol/auth.h): anyone on an unprovisioned device (trust on
 * first use), else only a token by a key with the admin role, bound to this device's id and
 * a nonce it issued, so a captured request works nowhere else and never again. The
 * generation is counted here, never taken from the wire: nobody can set it to lock the
 * owner out. Version pins survive a change of keys; only the CLEAR_PINS flag (in a signed
 * request on a provisioned device) clears them. */
#include "sup_internal.h"

#include "pins.h"

static const uint8_t k_ns[] = "#keys";
static const uint8_t k_key[] = "keys";
static const uint8_t k_pins_ns[] = "#pins";

#define NS_LEN(a) ((uint32_t)(sizeof(a) - 1u))
#define ENTRY 33u /* key + roles */

static void use_keys(wm_supervisor *s, const uint8_t *entries, uint32_t n, uint32_t stride)
{
    s->nkeys = 0;
    s->dev.nkeys = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = entries + stride * i;
        wm_memcpy(s->keys[i].pub, e, 32u);
        s->keys[i].roles = stride == ENTRY ? (uint8_t)(e[32] & WM_ROLES_ALL) : WM_ROLES_ALL;
        if ((s->keys[i].roles & WM_ROLE_PACKAGE) != 0) {
            wm_memcpy(s->pkg_keys[s->dev.nkeys++], e, 32u);
        }
    }
    s->nkeys = n;
}

void wm_sup_keys_load(wm_supervisor *s)
{
    uint8_t v[5u + ENTRY * WM_SUP_KEYS_MAX];
    wm_kv *kv = s->cfg.kv;
    s->nkeys = 0;
    s->dev.nkeys = 0;
    s->key_counter = 0;
    s->locked = false;
    if (kv == NULL) {
        return;
    }
    int n = wm_kv_get(kv, k_ns, NS_LEN(k_ns), k_key, NS_LEN(k_key), v, sizeof v);
    /* Unprovisioned only when there is positively no keys record: one that exists but does
     * not read back whole (torn, damaged, a flash error, a length of neither format), or
     * damage in the log it could hide behind, locks the device instead of opening it. */
    if (n == WM_E_NOTFOUND && !kv->damaged &&
        wm_kv_torn(kv, k_ns, NS_LEN(k_ns), k_key, NS_LEN(k_key)) == 0) {
        return;
    }
    uint32_t stride = 0;
    if (n >= 5 && (uint32_t)n <= sizeof v && v[4] <= WM_SUP_KEYS_MAX) {
        stride = (uint32_t)n == 5u + ENTRY * v[4] ? ENTRY
                 : (uint32_t)n == 5u + 32u * v[4] ? 32u
                                                  : 0u;
    }
    if (kv->damaged || stride == 0) {
        s->locked = true;
        return;
    }
    s->key_counter = wm_ld32(v);
    use_keys(s, v + 5, v[4], stride);
}

/* The new key list is sound: known roles, no key twice, and (unless it is empty) every
 * role held by some key, so the device stays manageable. Else false, why in t. */
static bool keys_ok(const uint8_t *e, uint32_t n, wm_msg *t)
{
    uint8_t all = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t roles = e[ENTRY * i + 32u];
        if (roles == 0 || (roles & (uint8_t)~WM_ROLES_ALL) != 0) {
            wm_msg_fail(t, WM_ST_BAD_ARGS,
                        "PROVISION: a key's roles must be a non-empty set "
                        "of package (1), operate (2), admin (4)");
            return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (wm_memeq(e + ENTRY * i, e + ENTRY * j, 32u)) {
                wm_msg_fail(t, WM_ST_BAD_ARGS, "PROVISION: the same key twice");
                return false;
            }
        }
        all |= roles;
    }
    if (n > 0 && all != WM_ROLES_ALL) {
        wm_msg_fail(t, WM_ST_BAD_ARGS, "PROVISION: no key has the ");
        wm_msg_put(t, (all & WM_ROLE_ADMIN) == 0     ? "admin role (nobody could change the "
                                                       "keys again)"
                      : (all & WM_ROLE_PACKAGE) == 0 ? "package role (nothing could be "
                                                       "installed)"
                                                     : "operate role (the device could not "
                                                       "be managed)");
        return false;
    }
    return true;
}

int wm_sup_check_unlocked(const wm_supervisor *s, wm_msg *msg)
{
    if (!s->locked) {
        return WM_ST_OK;
    }
    return wm_msg_fail(msg, WM_ST_DENIED,
                       "the device is locked: its keys record in the config "
                       "area cannot be read (erase the config area to "
                       "recover)");
}

int wm_sup_provision(void *ctx, const uint8_t *body, size_t len, wm_msg *msg)
{
    wm_supervisor *s = ctx;
    int locked = wm_sup_check_unlocked(s, msg);
    if (locked != WM_ST_OK) {
        return locked; /* nothing may take over a device whose keys cannot be read */
    }
    if (len < 2u || body[1] > WM_SUP_KEYS_MAX || len != 2u + ENTRY * body[1]) {
        return wm_msg_fail(msg, WM_ST_MALFORMED,
                           "malformed PROVISION (u8 flags, u8 n <= 4, n x (key, roles))");
    }
    uint8_t flags = body[0];
    uint32_t n = body[1];
    if ((flags & (uint8_t) ~(WM_PROV_CLEAR_PINS | WM_PROV_KEEP_KEYS)) != 0 ||
        ((flags & WM_PROV_KEEP_KEYS) != 0 && n != 0)) {
        return wm_msg_fail(msg, WM_ST_MALFORMED,
                           "PROVISION: unknown flags, or keys given with KEEP_KEYS");
    }
    if (!keys_ok(body + 2, n, msg)) {
        return WM_ST_BAD_ARGS;
    }
    if (s->nkeys == 0 && (flags & WM_PROV_CLEAR_PINS) != 0) {
        /* pins outlive unprovisioning; only an admin of a provisioned device drops them */
        return wm_msg_fail(msg, WM_ST_DENIED,
                           "PROVISION: version pins can only be cleared by "
                           "an admin key of a provisioned device");
    }
    if (s->nkeys == 0 && n == 0) {
        return WM_ST_OK; /* unprovisioned already: nothing to write (no flash wear) */
    }
    if (s->cfg.kv == NULL) {
        return wm_msg_fail(msg, WM_ST_NOT_SUPPORTED, "this device has no config area");
    }
    int rc = 0;
    if ((flags & WM_PROV_KEEP_KEYS) == 0) {
        uint8_t rec[5u + ENTRY * WM_SUP_KEYS_MAX];
        wm_st32(rec, s->key_counter + 1u);
        rec[4] = (uint8_t)n;
        wm_memcpy(rec + 5, body + 2, ENTRY * n);
        /* its share of the config area's reserve (supervisor.h) */
        rc = wm_kv_set(s->cfg.kv, k_ns, NS_LEN(k_ns), k_key, NS_LEN(k_key), rec, 5u + ENTRY * n,
                       WM_SUP_KV_KEYS_BYTES);
    }
    /* keys first: a power cut in between leaves the pins, never fewer of them */
    if (rc == 0 && (flags & WM_PROV_CLEAR_PINS) != 0) {
        rc = wm_kv_clear_ns(s->cfg.kv, k_pins_ns, NS_LEN(k_pins_ns));
    }
    wm_sup_keys_load(s);
    if (rc != 0) {
        return wm_msg_fail(msg, WM_ST_FLASH_ERROR,
                           s->locked ? "config area write failed and the keys no longer read "
                                       "back: the device is locked"
                                     : "config area write failed; the old keys are kept");
    }
    wm_sup_recheck(s);
    return WM_ST_OK;
}

/* Whether the loaded module in `sl` may go on under the current keys: WM_ST_OK, or the
 * reason in err. A package is checked as at install (signature policy, pin, whether native
 * code may run); a bare module only while the device is unprovisioned. */
static int still_allowed(wm_supervisor *s, const wm_slot *sl, wm_msg *err)
{
    wm_store_info info;
    const uint8_t *image = wm_sup_store_image(s, sl->name, &info);
    if (image == NULL) {
        return WM_ST_OK; /* not ours to judge: it goes with its store record */
    }
    if (!wm_sup_is_package(image, info.size)) {
        if (s->dev.nkeys == 0) {
            return WM_ST_OK;
        }
        return wm_msg_fail(err, WM_ST_DENIED, "a bare module is not signed");
    }
    wm_package pkg;
    wm_manifest m;
    wm_sb_decision d;
    wm_sb_device dev;
    wm_sup_installed_dev(s, &dev);
    int rc = wm_sb_check_install(image, info.size, &dev, &pkg, &m, &d, err);
    bool native = sl->sb.decision.aot != NULL && sl->sb.decision.aot_attach != NULL;
    if (rc == WM_ST_OK && native && (d.aot == NULL || d.aot_attach == NULL)) {
        return wm_msg_fail(err, WM_ST_DENIED,
                           "its native code is no longer trusted "
                           "(start it again to run it interpreted)");
    }
    return rc;
}

void wm_sup_recheck(wm_supervisor *s)
{
    for (uint32_t i = 0; i < WM_SUP_SLOTS; i++) {
        wm_slot *sl = &s->slots[i];
        if (sl->name[0] == '\0' || !sl->loaded) {
            continue; /* not running: its next start installs it through the policy */
        }
        if (s->cfg.kick != NULL) {
            s->cfg.kick(); /* each check hashes and verifies a package: ~2 M instructions+ */
        }
        char why[WM_MSG_MAX], line[WM_SUP_TRAP_MAX];
        wm_msg err;
        wm_msg_init(&err, why, sizeof why);
        if (still_allowed(s, sl, &err) == WM_ST_OK) {
            continue;
        }
        wm_msg t;
        wm_msg_init(&t, line, sizeof line);
        wm_msg_put(&t, "stopped by new keys: ");
        wm_msg_put(&t, why);
        wm_sup_strcpy(sl->last_trap, line, sizeof sl->last_trap);
        wm_sup_stop_slot(s, sl, line);
    }
}
