/* The .wmp package container and its binary manifest (docs/module-format.md, format 1).
 *
 * The parser reads in place from a buffer that may be memory-mapped flash: it never writes
 * to it and keeps pointers into it (module bytes, capability arguments), so the buffer must
 * outlive the parsed package. Every length and offset is checked before it is used; any
 * violation is reported with the offset and what is wrong (wm_msg).
 *
 * Order (as the format doc requires): wm_pkg_parse checks the header, the sections, the
 * content hash and the shape of the signature section; the caller then applies the
 * signature policy (policy.h) and only after that parses the manifest (wm_pkg_manifest). */
#ifndef WM_SB_PACKAGE_H
#define WM_SB_PACKAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "sb_util.h"

#define WM_PKG_FORMAT_VERSION 1u
#define WM_PKG_HEADER_SIZE 16u
#define WM_PKG_HASH_SECTION_SIZE 40u
#define WM_PKG_SIG_SECTION_SIZE 112u
#define WM_PKG_MAX_SECTIONS 16u
#define WM_PKG_MAX_CONTENT (16u * 1024u * 1024u)
#define WM_PKG_MANIFEST_MAX 2048u
/* Manifest encodings this reader knows: 1 to this (docs/module-format.md). */
#define WM_PKG_ENCODING_MAX 4u
#define WM_PKG_AOT_MAX 4u
/* A module is installed under its manifest name (its store name): at most the store's 31. */
#define WM_PKG_NAME_MAX 31u
#define WM_PKG_ENTRY_MAX 32u
#define WM_PKG_CAPS_MAX 32u
#define WM_PKG_CAP_ARG_MAX 32u
/* limits.kv_write when a manifest does not say (encodings 1 to 3): flash bytes of kv
 * records per hour (docs/module-format.md; the arithmetic is in docs/reliability.md). */
#define WM_PKG_KV_WRITE_DEFAULT 256u

enum {
    WM_PKG_KIND_MANIFEST = 1,
    WM_PKG_KIND_MODULE = 2,
    WM_PKG_KIND_AOT = 3,
    WM_PKG_KIND_HASH = 0x80,
    WM_PKG_KIND_SIGNATURE = 0x81
};

/* BRIDGE_OUT / BRIDGE_IN (text "bridge:out:PATTERN", "bridge:in:PATTERN") link no
 * function: they let the module's pub/sub topics under PATTERN leave the device through
 * the host, or messages from the host enter it (pubsub.h, docs/fleet.md). */
enum {
    WM_CAP_LOG = 1,
    WM_CAP_TIME = 2,
    WM_CAP_SLEEP = 3,
    WM_CAP_GPIO = 4,
    WM_CAP_KV = 5,
    WM_CAP_PUBSUB = 6,
    WM_CAP_RANDOM = 7,
    WM_CAP_I2C = 8,
    WM_CAP_SPI = 9,
    WM_CAP_UART = 10,
    WM_CAP_ADC = 11,
    WM_CAP_PWM = 12,
    WM_CAP_BRIDGE_OUT = 13,
    WM_CAP_BRIDGE_IN = 14
};
#define WM_CAP_LAST WM_CAP_BRIDGE_IN

/* Program arguments and environment (manifest encodings 3 and 4): at most this many
 * strings of at most 255 bytes each, no NUL byte; an environment entry is KEY=VALUE. */
#define WM_PKG_ARGS_MAX 32u
#define WM_PKG_ENV_MAX 32u

/* Architecture codes of AOT sections (core/aot/wm_aot_abi.h has the full list). */
enum {
    WM_AOT_THUMBV7EM = 1,
    WM_AOT_RV32IMAC = 2,
    WM_AOT_X86_64 = 3,
    WM_AOT_XTENSA = 4,
    WM_AOT_THUMBV7M = 5,
    WM_AOT_THUMBV8MMAIN = 6,
    WM_AOT_AARCH64 = 7
};

typedef struct wm_pkg_aot {
    uint8_t arch;
    uint16_t abi;
    const uint8_t *code; /* after the 8-byte AOT header, 8-byte aligned in the file */
    uint32_t len;
} wm_pkg_aot;

typedef struct wm_package {
    const uint8_t *bytes;
    uint32_t size;
    uint32_t content_len; /* C: the hash section starts here */
    const uint8_t *manifest;
    uint32_t manifest_len;
    uint32_t manifest_off;
    const uint8_t *module;
    uint32_t module_len;
    uint32_t module_off;
    wm_pkg_aot aot[WM_PKG_AOT_MAX];
    uint32_t naot;
    uint8_t hash[32]; /* SHA-256 of [0, C), recomputed and checked */
    bool is_signed;
    const uint8_t *signer;    /* 32-byte public key in the signature section */
    const uint8_t *signature; /* 64 bytes */
} wm_package;

typedef struct wm_pkg_cap {
    uint8_t kind; /* WM_CAP_* */
    uint8_t arg_len;
    const uint8_t *arg; /* in place in the package */
} wm_pkg_cap;

typedef struct wm_manifest {
    uint8_t api;
    bool autostart;
    bool restart;                   /* on_trap = "restart" (encoding 2) */
    char name[WM_PKG_NAME_MAX + 1]; /* NUL-terminated copy */
    uint16_t version[3];            /* major, minor, patch */
    uint32_t mem_bytes;
    uint32_t stack_bytes;
    uint32_t fuel;
    uint32_t kv_quota;
    uint32_t cpu;                     /* fuel per second, 0 = unlimited (encoding 2) */
    uint8_t queue;                    /* pubsub queue depth 1..8 (encoding 2; else 8) */
    uint32_t kv_write;                /* kv flash bytes per hour (encoding 4; else default) */
    char entry[WM_PKG_ENTRY_MAX + 1]; /* "" = no entry */
    uint32_t ncaps;
    wm_pkg_cap caps[WM_PKG_CAPS_MAX];
    /* encodings 3, 4: arguments after the program name (WASI argv[1..]) and environment, each
     * in place as n strings of (u8 length, bytes); checked at parse time */
    uint8_t nargs, nenv;
    const uint8_t *args, *env;
    uint32_t args_len, env_len;
} wm_manifest;

/* Whether bytes start with the package magic "\0wmp" (the one copy of it, package.c). */
bool wm_pkg_has_magic(const uint8_t *bytes, uint32_t size);

/* Steps 1-4 of the reader requirements: header, sections, content hash (SHA-256 over
 * [0, C)), signature section shape. Does not verify the signature (policy.h does). */
int wm_pkg_parse(const uint8_t *bytes, uint32_t size, wm_package *out, wm_msg *err);
/* The same, charging the content hash's work to `work` (core/base/wm_work.h; NULL: none). */
struct wm_work;
int wm_pkg_parse_metered(const uint8_t *bytes, uint32_t size, struct wm_work *work, wm_package *out,
                         wm_msg *err);

/* Verifies the signature against one public key (0 or WM_ST_DENIED). */
int wm_pkg_verify_with(const wm_package *pkg, const uint8_t pub[32], wm_msg *err);

/* Step 5: decodes and validates the manifest payload. */
int wm_pkg_manifest(const wm_package *pkg, wm_manifest *out, wm_msg *err);

/* Compares versions as (major, minor, patch): <0, 0, >0. */
int wm_pkg_version_cmp(const uint16_t a[3], const uint16_t b[3]);

/* Capability argument grammar (docs/module-format.md). */
bool wm_pkg_pin_name_ok(const uint8_t *s, uint32_t n);
/* A pubsub pattern: "*", or segments joined by slashes, optionally ending in slash-star. */
bool wm_pkg_pattern_ok(const uint8_t *s, uint32_t n);
/* A concrete topic: the pattern grammar without '*'. */
bool wm_pkg_topic_ok(const uint8_t *s, uint32_t n);

#endif
