/* The device's install path with AOT sections (core/sandbox + core/aot): the policy decides
 * (docs/security.md: native code only from packages signed by a provisioned key, for this
 * architecture and ABI), wm_sb_install attaches it, wm_sb_call runs it in fuel slices.
 * Usage: aot_sandbox DIR  (DIR: the packages and the signer's raw public key, see
 * tests/aot/test_aot_sandbox.py). Prints "ok" and exits 0, or why and exits 1. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aot.h"
#include "harness.h"
#include "sandbox.h"

static const char *dir;

/* The package as a device holds it: mapped read+execute (code runs in place). */
static const uint8_t *map_package(const char *name, uint32_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = ((size_t)n + page - 1) / page * page;
    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED && fread(p, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    CHECK(mprotect(p, len, PROT_READ | PROT_EXEC) == 0);
    *size = (uint32_t)n;
    return p;
}

static uint8_t keys[1][32];
static wm_sb_host host;
static unsigned char *arena_mem;

static wm_sb_device device(int provisioned, int with_attach, uint16_t abi)
{
    wm_sb_device d;
    memset(&d, 0, sizeof d);
    d.keys = (const uint8_t(*)[32])keys;
    d.nkeys = provisioned ? 1u : 0u;
    d.arch = (uint8_t)WM_AOT_ARCH_SELF;
    d.aot_abi = abi;
    d.aot_attach = with_attach ? wm_aot_attach : NULL;
    return d;
}

/* wm_sb_install of NAME into mod, or only the commit's check of it (wm_sb_check); returns
 * its code, the message in msg. */
static int sandbox_op(const char *name, wm_sb_device dev, int check_only, wm_sb_module *mod,
                      char *msg, size_t msg_len)
{
    wm_arena arena;
    wm_arena_init(&arena, arena_mem, 1u << 20);
    uint32_t size;
    const uint8_t *pkg = map_package(name, &size);
    char err_buf[WM_MSG_MAX];
    wm_msg err;
    wm_msg_init(&err, err_buf, sizeof err_buf);
    int rc = check_only ? wm_sb_check(&host, mod, &arena, pkg, size, &dev, NULL, &err)
                        : wm_sb_install(&host, mod, &arena, pkg, size, &dev, &err);
    snprintf(msg, msg_len, "%s", err.buf);
    return rc;
}

/* Installs NAME; returns the install code; on success runs sum(100) in fuel slices. */
static int install(const char *name, wm_sb_device dev, int *native, uint32_t *notes, char *msg,
                   size_t msg_len)
{
    static wm_sb_module mod;
    int rc = sandbox_op(name, dev, 0, &mod, msg, msg_len);
    if (rc != WM_ST_OK) return rc;
    *native = wm_aot_attached(mod.module);
    *notes = mod.decision.notes;
    CHECK(*native == 0 || mod.decision.aot != NULL);
    wm_val arg, res;
    arg.type = WM_I32;
    arg.of.i64 = 100;
    wm_error e;
    int slices = 1;
    wm_err w = wm_sb_call(&mod, "sum", &arg, 1, &res, 1, &e); /* the manifest's fuel: 50 */
    while (w == WM_ERR_OUT_OF_FUEL) {
        slices++;
        w = wm_resume(mod.inst, mod.manifest.fuel, &res, 1, &e);
    }
    if (w != WM_OK || res.of.i32 != 5050 || slices < 2)
        printf("%s: call %d (%s) res %u slices %d\n", name, (int)w, e.msg, res.of.i32, slices);
    CHECK(w == WM_OK && res.of.i32 == 5050 && slices >= 2);
    wm_sb_uninstall(&mod);
    return rc;
}

/* The commit's check of NAME (wm_sb_check, no instantiation); returns its code. */
static int check(const char *name, wm_sb_device dev, char *msg, size_t msg_len)
{
    static wm_sb_module mod;
    return sandbox_op(name, dev, 1, &mod, msg, msg_len);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    dir = argv[1];
    char path[512];
    snprintf(path, sizeof path, "%s/signer.pub", dir);
    FILE *f = fopen(path, "rb");
    CHECK(f && fread(keys[0], 1, 32, f) == 32);
    fclose(f);
    arena_mem = malloc(1u << 20);
    wm_sb_platform plat;
    memset(&plat, 0, sizeof plat);
    wm_sb_host_init(&host, &plat);
    int native = -1;
    uint32_t notes = 0;
    char msg[256];

    /* provisioned, signed, this architecture and ABI: native */
    CHECK(install("signed.wmp", device(1, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_OK);
    CHECK(native == 1);
    /* ... but firmware without an attach hook interprets it */
    CHECK(install("signed.wmp", device(1, 0, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_OK);
    CHECK(native == 0);
    /* a device running another AOT ABI version interprets it */
    CHECK(install("signed.wmp", device(1, 1, WM_AOT_ABI_VERSION + 1), &native, &notes, msg,
                  sizeof msg) == WM_ST_OK);
    CHECK(native == 0 && (notes & WM_SB_NOTE_AOT_ABI));
    /* an unprovisioned device never runs native code: interpreted, with a note */
    CHECK(install("signed.wmp", device(0, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_OK);
    CHECK(native == 0 && (notes & WM_SB_NOTE_AOT_UNSIGNED));
    CHECK(install("unsigned.wmp", device(0, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_OK);
    CHECK(native == 0);
    /* a provisioned device refuses unsigned packages altogether */
    CHECK(install("unsigned.wmp", device(1, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_DENIED);
    /* AOT code only for another architecture: interpreted */
    CHECK(install("otherarch.wmp", device(1, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_OK);
    CHECK(native == 0);
    /* signed, but the section belongs to another module: refused, saying why */
    CHECK(install("mismatch.wmp", device(1, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_INVALID_MODULE);
    CHECK(strncmp(msg, "aot: ", 5) == 0);
    /* tables that match the module, but compiled from other bytes: the module hash says so */
    CHECK(install("wronghash.wmp", device(1, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_INVALID_MODULE);
    CHECK(strstr(msg, "another module") != NULL);
    /* loading a committed image binds without hashing the module again... */
    wm_sb_device committed = device(1, 1, WM_AOT_ABI_VERSION);
    committed.aot_attach = wm_aot_attach_committed;
    CHECK(install("signed.wmp", committed, &native, &notes, msg, sizeof msg) == WM_ST_OK);
    CHECK(native == 1);
    /* ...because the commit's check hashes it: provisioned, and unprovisioned too (the device
     * interprets it now, but would run the section once provisioned) */
    CHECK(check("wronghash.wmp", device(1, 1, WM_AOT_ABI_VERSION), msg, sizeof msg) ==
          WM_ST_INVALID_MODULE);
    CHECK(check("wronghash.wmp", device(0, 1, WM_AOT_ABI_VERSION), msg, sizeof msg) ==
          WM_ST_INVALID_MODULE);
    CHECK(strstr(msg, "another module") != NULL);
    CHECK(check("signed.wmp", device(0, 1, WM_AOT_ABI_VERSION), msg, sizeof msg) == WM_ST_OK);
    /* firmware that cannot run native code has nothing to bind */
    CHECK(check("wronghash.wmp", device(0, 0, WM_AOT_ABI_VERSION), msg, sizeof msg) == WM_ST_OK);
    /* a byte of the AOT section changed after signing: the hash catches it first */
    CHECK(install("tampered.wmp", device(1, 1, WM_AOT_ABI_VERSION), &native, &notes, msg,
                  sizeof msg) == WM_ST_INVALID_MODULE);
    printf("ok\n");
    free(arena_mem);
    return 0;
}
