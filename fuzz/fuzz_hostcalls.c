/* libFuzzer target: the host calls a module makes, with hostile arguments: the peripheral
 * API (core/sandbox/periph_api.c, periph_target.c) on the posix port's SIMULATED buses
 * (port/posix/sim_periph.c: bit-banged I2C with a TMP105, an AT24C32 and a misbehaving
 * part, SPI ADC and loopback, UART loopback, ADC, PWM), the rest of the wasmote API
 * (hostapi.c: log, gpio, kv, pubsub) and the WASI and AssemblyScript imports (wasi/).
 *
 * Each input installs a real package (built here: a manifest with the grants the input
 * picks, and a module importing every function those grants link, each wrapped by an export
 * "f<k>" that passes its arguments straight on), then makes the calls the input lists,
 * through the interpreter and the linked host functions as a module would.
 *
 * Input:
 *   byte 0-2  grant mask (bit i: capability i of k_caps below, in the manifest)
 *   byte 3    memory: bits 0-1 initial pages (3 = no memory at all), bits 2-3 more pages
 *             it may grow by (limits.memory = the maximum, at least 1 page), bit 4
 *             program arguments and environment (manifest encoding 3)
 *   then records:
 *   0x00-0xDF call: function k = op % the catalog's size (every import set in order:
 *             wasmote, wasi_snapshot_preview1, env; one not linked is skipped), then one
 *             argument per parameter, each a tag byte:
 *               0x00-0x3F  tag - 8 (-8..55: handles, fds, lengths, flags)
 *               0x40-0x7F  memory size - (tag & 0x3F): at and just before the end
 *               0x80-0xBF  (tag & 0x3F) * 256 + the next byte: an address well inside
 *               0xC0-0xFF  the next 4 bytes (an i64 or f64 parameter: 8) as they are
 *   0xE0-0xEF poke: u16 LE address, u8 n, n bytes written into memory (clipped): names,
 *             iovecs, subscriptions
 *   0xF0-0xF7 memory.grow by op & 7 pages (through the module's export "g")
 *   0xF8-0xFF simulated device event: u8 what, u16 LE value (what % 5: the misbehaving
 *             I2C part stretches SCL value polls / holds SDA value clocks, bytes arrive on
 *             the UART, ADC channel 0 reads value, the TMP105 reads value - 32768 m°C)
 *
 * Oracles besides ASan + UBSan:
 *   - no host function traps, except the ones that end the module (proc_exit, abort);
 *   - a result is one the API documents: >= 0 or a WM_E_* code (wasmote), a known WASI
 *     errno (ENOTCAPABLE for a WASI function the manifest does not grant);
 *   - argument order (docs/api.md): a length out of its bounds is WM_E_INVAL; with lengths
 *     in bounds, WM_E_FAULT exactly when a (ptr, len) range leaves memory (WASI: success
 *     only if every range, iovec buffers included, is inside; EFAULT only if one is not);
 *   - a refused call leaves linear memory as it was, and any call leaves it as it was
 *     outside the outputs its signature declares; the reserve past the memory's end
 *     (allocated, not yet grown into) is poisoned for ASan during the call;
 *   - a call on a peripheral the manifest does not grant never reaches the port's ops: the
 *     ops are interposed and check each target against the grants this harness wrote (its
 *     own table of the simulated board, not periph_target.c), and that the port is handed
 *     bounce buffers, never module memory;
 *   - poll_oneoff reports a clock subscription as fired only once the harness's clock (which
 *     the platform's sleep hook advances by exactly what it is asked) has passed the
 *     soonest one, or the longest sleep the platform takes (0x7FFFFFFF ms);
 *   - log and output pieces are at most WM_LOG_MAX bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sha256.h"
#include "port/posix/sim_periph.h"
#include "sandbox/sandbox.h"
#include "sandbox/wasi/wasi.h"
#include "store/flash_ram.h"
#include "fuzz_check.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef POISON
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_SIZE (1024u * 1024u)
#define KV_SECTOR 1024u
#define KV_SIZE 4096u
#define PAGE 65536u
#define MAX_CALLS 256u
#define MAX_RESUMES 64u
#define SLICE_FUEL 100000u
#define CATALOG_MAX 96u

/* ---- the grants an input may pick, and what each means on the simulated board ---- */

typedef struct {
    uint8_t kind;
    const char *arg;
    /* the port-level targets it covers (this harness's own reading of the sim's names) */
    uint8_t bus, unit;
    bool any; /* every unit of the bus */
} cap_def;

static const cap_def k_caps[] = {
    {WM_CAP_LOG, "", 0, 0, false},
    {WM_CAP_TIME, "", 0, 0, false},
    {WM_CAP_SLEEP, "", 0, 0, false},
    {WM_CAP_KV, "", 0, 0, false},
    {WM_CAP_RANDOM, "", 0, 0, false},
    {WM_CAP_GPIO, "led0", 0, 0, false},
    {WM_CAP_GPIO, "*", 0, 0, false},
    {WM_CAP_PUBSUB, "sensors/*", 0, 0, false},
    {WM_CAP_PUBSUB, "*", 0, 0, false},
    {WM_CAP_I2C, "temp0", 0, 0x48, false},
    {WM_CAP_I2C, "0/0x50", 0, 0x50, false},
    {WM_CAP_I2C, "0/*", 0, 0, true},
    {WM_CAP_I2C, "nosuch", 0xFF, 0xFF, false}, /* a name the board lacks: nothing */
    {WM_CAP_SPI, "loop0", 0, 1, false},
    {WM_CAP_SPI, "0/*", 0, 0, true},
    {WM_CAP_UART, "aux", 0, 0, false},
    {WM_CAP_ADC, "vin0", 0, 0, false},
    {WM_CAP_PWM, "led1", 0, 0, false},
    {WM_CAP_PWM, "fan0", 0, 1, false},
    {WM_CAP_I2C, "1/0x48", 1, 0x48, false}, /* a bus the board lacks */
    {WM_CAP_SPI, "adc0", 0, 0, false},
    {WM_CAP_ADC, "vin1", 0, 1, false},
};
#define NCAPS (sizeof k_caps / sizeof k_caps[0])

static const char *const k_pin_names[] = {"led0", "led1", "button0"};
static const uint8_t k_pin_flags[] = {WM_GPIO_OUT | WM_GPIO_IN, WM_GPIO_OUT | WM_GPIO_IN,
                                      WM_GPIO_IN};

/* ---- the catalog: every import of every set, in wm_sb_import_sets order ---- */

typedef struct {
    const char *module;
    const wm_sb_api_entry *e;
    bool denied_stub; /* WASI not granted: links wm_wasi_denied */
    bool linked;
} entry;

/* ---- harness state (the port side) ---- */

typedef struct {
    uint32_t mask;
    entry cat[CATALOG_MAX];
    uint32_t ncat;
    wm_sb_host host;
    wm_sb_module mod;
    wm_sim_periph sim;
    wm_periph_ops ops; /* the sim's, interposed */
    wm_gpio_sim gpio;
    uint8_t levels[3];
    wm_flash_ram flash;
    wm_kv kv;
    uint64_t clock_ms;
    uint64_t call_ms; /* the clock when the current call began */
    bool armed;       /* a blocking hook's wait is under way: the retry returns "over" */
    uint32_t random_next;
    uint8_t *mem;      /* linear memory during a call (NULL: none) */
    uint32_t mem_size; /* its accessible bytes */
    uint32_t mem_max;  /* bytes it may grow to (allocated: the reserve) */
} harness;

static harness g;
static wm_arena g_arena;
static uint8_t g_arena_mem[ARENA_SIZE] __attribute__((aligned(16)));
static uint8_t g_kv_mem[KV_SIZE];
static uint8_t g_shadow[8u * PAGE];
static uint8_t g_pkg[16384];
static uint8_t g_wasm[12288];

static bool granted_cap(uint32_t i) { return (g.mask >> i) & 1u; }

/* ---- platform hooks ---- */

static uint64_t now_ms(void *ctx)
{
    (void)ctx;
    return g.clock_ms;
}

static uint64_t sim_now_ms(void) { return g.clock_ms; }

/* Blocks once, then the retry finds the wait over (time has passed). */
static bool block_once(uint32_t ms)
{
    if (g.armed) {
        g.armed = false;
        return false;
    }
    g.armed = true;
    g.clock_ms += ms; /* exactly the time asked for (poll_oneoff's oracle counts on it) */
    return true;
}

static bool sleep_hook(void *ctx, wm_sb_module *mod, uint32_t ms)
{
    (void)ctx;
    (void)mod;
    return block_once(ms);
}

static bool wait_hook(void *ctx, wm_sb_module *mod, int32_t timeout_ms)
{
    (void)ctx;
    if (g.armed) return block_once(0);                          /* the retry: the wait is over */
    if (mod->ps.count > 0 && mod->wait_uart == 0) return false; /* nothing to wait for */
    return block_once(timeout_ms < 0 ? 1000u : (uint32_t)timeout_ms);
}

static void log_hook(void *ctx, wm_sb_module *mod, const uint8_t *msg, uint32_t len)
{
    (void)ctx;
    (void)mod;
    CHECK(len <= WM_LOG_MAX && (len == 0 || msg != NULL));
}

static void output_hook(void *ctx, wm_sb_module *mod, const uint8_t *data, uint32_t len,
                        uint32_t flags)
{
    (void)ctx;
    (void)mod;
    CHECK(len <= WM_LOG_MAX && (len == 0 || data != NULL));
    CHECK((flags & ~(uint32_t)(WM_SB_OUT_STDERR | WM_SB_OUT_PARTIAL)) == 0);
}

static int random_hook(void *ctx, uint8_t *buf, uint32_t len)
{
    (void)ctx;
    for (uint32_t i = 0; i < len; i++) buf[i] = (uint8_t)(g.random_next++ * 131u);
    return 0;
}

/* ---- the port's peripheral ops, interposed ---- */

/* Whether the manifest this harness wrote grants the port-level target (kind, bus, unit). */
static bool oracle_granted(uint8_t kind, uint32_t bus, uint32_t unit)
{
    for (uint32_t i = 0; i < NCAPS; i++) {
        const cap_def *c = &k_caps[i];
        if (!granted_cap(i) || c->kind != kind) continue;
        if (kind == WM_CAP_I2C || kind == WM_CAP_SPI) {
            if (c->bus == bus && (c->any || c->unit == unit)) return true;
        } else if (c->unit == unit) {
            return true;
        }
    }
    return false;
}

/* The port gets the sandbox's bounce buffers, never a pointer into module memory. */
static bool outside_memory(const uint8_t *p, uint32_t n)
{
    if (!g.mem || n == 0) return true;
    return p + n <= g.mem || p >= g.mem + g.mem_max;
}

static int op_i2c(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *w, uint32_t wn, uint8_t *r,
                  uint32_t rn)
{
    CHECK(oracle_granted(WM_CAP_I2C, bus, addr));
    CHECK(wn <= WM_I2C_MAX && rn <= WM_I2C_MAX && (wn || rn));
    CHECK(outside_memory(w, wn) && outside_memory(r, rn));
    return g.sim.ops.i2c_xfer(ctx, bus, addr, w, wn, r, rn);
}

static int op_spi(void *ctx, uint32_t bus, uint32_t cs, const uint8_t *tx, uint8_t *rx, uint32_t n)
{
    CHECK(oracle_granted(WM_CAP_SPI, bus, cs));
    CHECK(n >= 1 && n <= WM_SPI_MAX && outside_memory(tx, n) && outside_memory(rx, n));
    return g.sim.ops.spi_xfer(ctx, bus, cs, tx, rx, n);
}

static int op_uart_write(void *ctx, uint32_t uart, const uint8_t *buf, uint32_t n)
{
    CHECK(oracle_granted(WM_CAP_UART, 0, uart));
    CHECK(n <= WM_UART_MAX && outside_memory(buf, n));
    return g.sim.ops.uart_write(ctx, uart, buf, n);
}

static int op_uart_read(void *ctx, uint32_t uart, uint8_t *buf, uint32_t cap)
{
    CHECK(oracle_granted(WM_CAP_UART, 0, uart));
    CHECK(cap <= WM_UART_MAX && outside_memory(buf, cap));
    return g.sim.ops.uart_read(ctx, uart, buf, cap);
}

static int op_adc(void *ctx, uint32_t ch)
{
    CHECK(oracle_granted(WM_CAP_ADC, 0, ch));
    return g.sim.ops.adc_read(ctx, ch);
}

static int op_pwm(void *ctx, uint32_t ch, uint32_t hz, uint32_t duty)
{
    CHECK(oracle_granted(WM_CAP_PWM, 0, ch));
    CHECK(hz >= 1 && hz <= WM_PWM_HZ_MAX && duty <= 65535u);
    return g.sim.ops.pwm_set(ctx, ch, hz, duty);
}

/* ---- building the package ---- */

typedef struct {
    uint8_t *p;
    uint32_t n, cap;
} buf;

static void put(buf *b, const void *src, uint32_t n)
{
    CHECK(b->n + n <= b->cap);
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u8(buf *b, uint32_t v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put_u16(buf *b, uint32_t v)
{
    put_u8(b, v);
    put_u8(b, v >> 8);
}

static void put_u32(buf *b, uint32_t v)
{
    put_u16(b, v);
    put_u16(b, v >> 16);
}

static void put_leb(buf *b, uint32_t v)
{
    do {
        uint8_t x = (uint8_t)(v & 0x7Fu);
        v >>= 7;
        put_u8(b, v ? x | 0x80u : x);
    } while (v);
}

static void put_name(buf *b, const char *s)
{
    put_leb(b, (uint32_t)strlen(s));
    put(b, s, (uint32_t)strlen(s));
}

/* A wasm section: id, size, then the body built in `body`. */
static void put_section(buf *b, uint8_t id, const buf *body)
{
    put_u8(b, id);
    put_leb(b, body->n);
    put(b, body->p, body->n);
}

static uint8_t valtype(char c)
{
    return c == 'i' ? 0x7F : c == 'I' ? 0x7E : c == 'f' ? 0x7D : 0x7C;
}

static uint32_t nparams(const char *sig) { return (uint32_t)(strchr(sig, ':') - sig); }

static bool has_result(const char *sig) { return strchr(sig, ':')[1] != '\0'; }

/* Every linked catalog entry as an import k and an export "f<k>" calling it; "g" grows
 * memory. */
static uint32_t build_module(uint32_t min_pages, uint32_t max_pages, bool memory)
{
    static uint8_t tmp[8192];
    buf w = {g_wasm, 0, sizeof g_wasm};
    static const uint8_t head[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    put(&w, head, 8);
    uint32_t nimp = 0;
    for (uint32_t k = 0; k < g.ncat; k++) nimp += g.cat[k].linked;
    /* types: one per import, then (i32) -> i32 */
    buf s = {tmp, 0, sizeof tmp};
    put_leb(&s, nimp + 1u);
    for (uint32_t k = 0; k < g.ncat; k++) {
        if (!g.cat[k].linked) continue;
        const char *sig = g.cat[k].e->sig;
        put_u8(&s, 0x60);
        put_leb(&s, nparams(sig));
        for (const char *c = sig; *c != ':'; c++) put_u8(&s, valtype(*c));
        put_leb(&s, has_result(sig) ? 1u : 0u);
        if (has_result(sig)) put_u8(&s, valtype(strchr(sig, ':')[1]));
    }
    static const uint8_t grow_type[5] = {0x60, 1, 0x7F, 1, 0x7F};
    put(&s, grow_type, 5);
    put_section(&w, 1, &s);
    s.n = 0;
    put_leb(&s, nimp);
    for (uint32_t k = 0, t = 0; k < g.ncat; k++) {
        if (!g.cat[k].linked) continue;
        put_name(&s, g.cat[k].module);
        put_name(&s, g.cat[k].e->name);
        put_u8(&s, 0);
        put_leb(&s, t++);
    }
    put_section(&w, 2, &s);
    uint32_t nfun = nimp + (memory ? 1u : 0u);
    s.n = 0;
    put_leb(&s, nfun);
    for (uint32_t t = 0; t < nfun; t++) put_leb(&s, t);
    put_section(&w, 3, &s);
    if (memory) {
        s.n = 0;
        put_leb(&s, 1);
        put_u8(&s, 1);
        put_leb(&s, min_pages);
        put_leb(&s, max_pages);
        put_section(&w, 5, &s);
    }
    s.n = 0;
    put_leb(&s, nfun);
    for (uint32_t k = 0, t = 0; k < g.ncat; k++) {
        if (!g.cat[k].linked) continue;
        char name[8];
        snprintf(name, sizeof name, "f%u", (unsigned)k);
        put_name(&s, name);
        put_u8(&s, 0);
        put_leb(&s, nimp + t++);
    }
    if (memory) {
        put_name(&s, "g");
        put_u8(&s, 0);
        put_leb(&s, nimp + nimp);
    }
    put_section(&w, 7, &s);
    s.n = 0;
    put_leb(&s, nfun);
    for (uint32_t k = 0, t = 0; k < g.ncat; k++) {
        if (!g.cat[k].linked) continue;
        uint32_t np = nparams(g.cat[k].e->sig);
        uint8_t body[64];
        buf f = {body, 0, sizeof body};
        put_u8(&f, 0); /* no locals */
        for (uint32_t i = 0; i < np; i++) {
            put_u8(&f, 0x20);
            put_leb(&f, i);
        }
        put_u8(&f, 0x10);
        put_leb(&f, t++);
        put_u8(&f, 0x0B);
        put_leb(&s, f.n);
        put(&s, body, f.n);
    }
    if (memory) {
        static const uint8_t grow[7] = {6, 0, 0x20, 0, 0x40, 0, 0x0B};
        put(&s, grow, 7);
    }
    put_section(&w, 10, &s);
    return w.n;
}

static uint32_t build_manifest(uint8_t *out, uint32_t cap, uint32_t mem_bytes, bool args)
{
    buf m = {out, 0, cap};
    put_u8(&m, args ? 3u : 1u);
    put_u8(&m, 1); /* host API */
    put_u8(&m, 0);
    put_name(&m, "hc");
    put_u16(&m, 1);
    put_u16(&m, 0);
    put_u16(&m, 0);
    put_u32(&m, mem_bytes);
    put_u32(&m, 8192);
    put_u32(&m, SLICE_FUEL);
    put_u32(&m, granted_cap(3) ? 1024u : 0u); /* kv quota only with kv */
    put_u8(&m, 0);                            /* no entry */
    uint32_t k = 0;
    for (uint32_t i = 0; i < NCAPS; i++) k += granted_cap(i);
    put_u8(&m, k);
    for (uint32_t i = 0; i < NCAPS; i++) {
        if (!granted_cap(i)) continue;
        put_u8(&m, k_caps[i].kind);
        put_name(&m, k_caps[i].arg);
    }
    if (args) {
        put_u32(&m, 0); /* cpu */
        put_u8(&m, 8);  /* queue */
        put_u8(&m, 2);
        put_name(&m, "-v");
        put_name(&m, "a b");
        put_u8(&m, 1);
        put_name(&m, "A=1");
    }
    return m.n;
}

static void put_pkg_section(buf *b, uint8_t kind, const uint8_t *payload, uint32_t n)
{
    static const uint8_t zero[8] = {0};
    put_u8(b, kind);
    put_u8(b, 0);
    put_u16(b, 0);
    put_u32(b, n);
    put(b, payload, n);
    put(b, zero, (8u - n % 8u) % 8u);
}

static uint32_t build_package(uint32_t wasm_len, uint32_t mem_bytes, bool args)
{
    uint8_t manifest[WM_PKG_MANIFEST_MAX];
    uint32_t mlen = build_manifest(manifest, sizeof manifest, mem_bytes, args);
    buf b = {g_pkg, 0, sizeof g_pkg};
    static const uint8_t magic[4] = {0, 'w', 'm', 'p'};
    put(&b, magic, 4);
    put_u8(&b, 1);
    put_u8(&b, 0);
    put_u16(&b, 2);
    put_u32(&b, 0); /* C, below */
    put_u32(&b, 0);
    put_pkg_section(&b, WM_PKG_KIND_MANIFEST, manifest, mlen);
    put_pkg_section(&b, WM_PKG_KIND_MODULE, g_wasm, wasm_len);
    uint32_t c = b.n;
    g_pkg[8] = (uint8_t)c, g_pkg[9] = (uint8_t)(c >> 8), g_pkg[10] = (uint8_t)(c >> 16);
    uint8_t digest[32];
    CHECK(wm_sha256(g_pkg, c, digest) == 0);
    put_pkg_section(&b, WM_PKG_KIND_HASH, digest, 32);
    return b.n;
}

/* ---- the oracle's view of each call: ranges and declared outputs ---- */

typedef struct {
    uint32_t ptr, len;
    bool out;    /* the call may write here */
    bool len_ok; /* the length is within the API's bounds for it */
} span;

typedef struct {
    span s[2 + WM_WASI_IOV_MAX];
    uint32_t n;
    bool lens_ok; /* every length argument within its bounds */
} spans;

static void add(spans *sp, uint32_t ptr, uint32_t len, bool out, bool len_ok)
{
    if (sp->n >= sizeof sp->s / sizeof sp->s[0]) return;
    span *s = &sp->s[sp->n++];
    s->ptr = ptr, s->len = len, s->out = out, s->len_ok = len_ok;
    if (!len_ok) sp->lens_ok = false;
}

/* A (ptr, len) pair of int32 arguments whose length must be in [lo, hi]. */
static void add_arg(spans *sp, const wm_val *a, uint32_t p, uint32_t l, int32_t lo, int32_t hi,
                    bool out)
{
    int32_t n = (int32_t)a[l].of.i32;
    add(sp, a[p].of.i32, (uint32_t)n, out, n >= lo && n <= hi);
}

static bool inside(uint32_t ptr, uint32_t len) { return (uint64_t)ptr + len <= g.mem_size; }

static uint32_t ld32(uint32_t at)
{
    return g_shadow[at] | (uint32_t)g_shadow[at + 1] << 8 | (uint32_t)g_shadow[at + 2] << 16 |
           (uint32_t)g_shadow[at + 3] << 24;
}

/* The iovec array (from the memory before the call) and each buffer it names. */
static void add_iovs(spans *sp, uint32_t iovs, uint32_t n)
{
    if (n > WM_WASI_IOV_MAX) {
        sp->lens_ok = false;
        return;
    }
    add(sp, iovs, n * 8u, false, true);
    if (!inside(iovs, n * 8u)) return;
    for (uint32_t i = 0; i < n; i++)
        add(sp, ld32(iovs + 8u * i), ld32(iovs + 8u * i + 4u), false, true);
}

static void set_size(uint32_t n, uint32_t *count, uint32_t *bytes, bool argv)
{
    (void)n;
    /* what build_manifest wrote: argv "hc" "-v" "a b", environment "A=1" */
    bool with = g.mod.manifest.nargs > 0 || g.mod.manifest.nenv > 0;
    if (argv) {
        *count = with ? 3u : 1u;
        *bytes = with ? 3u + 3u + 4u : 3u;
    } else {
        *count = with ? 1u : 0u;
        *bytes = with ? 4u : 0u;
    }
}

static bool is(const entry *e, const char *name) { return strcmp(e->e->name, name) == 0; }

/* The (ptr, len) argument pairs of the wasmote API (docs/api.md): the pointer's index
 * (the length follows it), the length's bounds, and whether the call may write there. */
typedef struct {
    uint8_t ptr;
    int32_t lo, hi; /* hi 0: no such pair */
    bool out;
} range_arg;

#define LEN_MAX 0x7FFFFFFF
static const struct {
    const char *name;
    range_arg r[2];
} k_ranges[] = {
    {"log", {{0, 0, LEN_MAX, false}}},
    {"gpio_pin", {{0, 1, WM_PIN_NAME_MAX, false}}},
    {"kv_get", {{0, 1, WM_KV_KEY_MAX, false}, {2, 0, LEN_MAX, true}}},
    {"kv_set", {{0, 1, WM_KV_KEY_MAX, false}, {2, 0, WM_KV_VALUE_MAX, false}}},
    {"kv_delete", {{0, 1, WM_KV_KEY_MAX, false}}},
    {"publish", {{0, 1, WM_TOPIC_MAX, false}, {2, 0, WM_MESSAGE_MAX, false}}},
    {"subscribe", {{0, 1, WM_TOPIC_MAX, false}}},
    {"receive", {{0, 0, LEN_MAX, true}}},
    {"i2c_open", {{0, 1, WM_PERIPH_NAME_MAX, false}}},
    {"spi_open", {{0, 1, WM_PERIPH_NAME_MAX, false}}},
    {"uart_open", {{0, 1, WM_PERIPH_NAME_MAX, false}}},
    {"adc_open", {{0, 1, WM_PERIPH_NAME_MAX, false}}},
    {"pwm_open", {{0, 1, WM_PERIPH_NAME_MAX, false}}},
    {"i2c_write", {{1, 1, WM_I2C_MAX, false}}},
    {"i2c_read", {{1, 1, WM_I2C_MAX, true}}},
    {"i2c_write_read", {{1, 1, WM_I2C_MAX, false}, {3, 1, WM_I2C_MAX, true}}},
    {"spi_transfer", {{1, 0, WM_SPI_MAX, false}, {3, 0, WM_SPI_MAX, true}}},
    {"uart_write", {{1, 0, WM_UART_MAX, false}}},
    {"uart_read", {{1, 1, WM_UART_MAX, true}}},
};

static void spans_of(const entry *e, const wm_val *a, spans *sp)
{
    sp->n = 0;
    sp->lens_ok = true;
    if (e->denied_stub) return;
    if (strcmp(e->module, "wasmote") == 0) {
        for (uint32_t i = 0; i < sizeof k_ranges / sizeof k_ranges[0]; i++) {
            if (!is(e, k_ranges[i].name)) continue;
            for (uint32_t k = 0; k < 2 && k_ranges[i].r[k].hi; k++) {
                const range_arg *r = &k_ranges[i].r[k];
                add_arg(sp, a, r->ptr, r->ptr + 1u, r->lo, r->hi, r->out);
            }
        }
        return;
    }
    if (strcmp(e->module, "env") == 0) return; /* abort, trace: read only; seed: a result */
    uint32_t count, bytes;
    if (is(e, "fd_write") || is(e, "fd_read")) {
        add_iovs(sp, a[1].of.i32, a[2].of.i32);
        add(sp, a[3].of.i32, 4, true, true);
    } else if (is(e, "fd_fdstat_get"))
        add(sp, a[1].of.i32, 24, true, true);
    else if (is(e, "fd_filestat_get"))
        add(sp, a[1].of.i32, 64, true, true);
    else if (is(e, "args_sizes_get") || is(e, "environ_sizes_get")) {
        add(sp, a[0].of.i32, 4, true, true);
        add(sp, a[1].of.i32, 4, true, true);
    } else if (is(e, "args_get") || is(e, "environ_get")) {
        set_size(0, &count, &bytes, is(e, "args_get"));
        add(sp, a[0].of.i32, count * 4u, true, true);
        add(sp, a[1].of.i32, bytes, true, true);
    } else if (is(e, "clock_res_get"))
        add(sp, a[1].of.i32, 8, true, true);
    else if (is(e, "clock_time_get"))
        add(sp, a[2].of.i32, 8, true, true);
    else if (is(e, "random_get"))
        add(sp, a[0].of.i32, a[1].of.i32, true, true);
    else if (is(e, "poll_oneoff")) {
        uint32_t n = a[2].of.i32;
        if (n == 0 || n > WM_WASI_POLL_MAX) {
            sp->lens_ok = false;
            return;
        }
        add(sp, a[0].of.i32, n * 48u, false, true);
        add(sp, a[1].of.i32, n * 32u, true, true);
        add(sp, a[3].of.i32, 4, true, true);
    }
}

/* poll_oneoff reported a clock subscription as fired (error 0): then the soonest valid
 * clock subscription (from the memory before the call) is due, i.e. the call slept at
 * least that long, up to the longest sleep the platform takes (0x7FFFFFFF ms). */
static void check_poll_clock(const wm_val *a)
{
    uint32_t subs = a[0].of.i32, evs = a[1].of.i32, n = a[2].of.i32, nev;
    uint64_t count_at = a[3].of.i32;
    memcpy(&nev, g.mem + count_at, 4);
    CHECK(nev <= n);
    bool fired = false;
    for (uint32_t i = 0; i < nev && i < n; i++) {
        uint64_t at = (uint64_t)evs + 32u * i;
        if (at + 11u > count_at && at + 8u < count_at + 4u) {
            continue; /* the count, written last, lies over its error and type */
        }
        const uint8_t *ev = g.mem + at;
        fired = fired || (ev[10] == 0 && ev[8] == 0 && ev[9] == 0);
    }
    if (!fired) return;
    uint64_t soonest = UINT64_MAX, now0 = g.call_ms * 1000000u;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *sub = g_shadow + subs + 48u * i;
        uint32_t id;
        uint64_t t, wait;
        memcpy(&id, sub + 16, 4);
        memcpy(&t, sub + 24, 8);
        if (sub[8] != 0 || id > 1u) continue;
        wait = (sub[40] & 1u) ? (t > now0 ? t - now0 : 0u) : t;
        if (wait < soonest) soonest = wait;
    }
    uint64_t slept_ns = (g.clock_ms - g.call_ms) * 1000000u, cap = 0x7FFFFFFFull * 1000000u;
    CHECK(slept_ns >= (soonest < cap ? soonest : cap));
}

static bool wasi_errno_known(uint32_t e)
{
    switch (e) {
    case WM_WASI_ESUCCESS:
    case WM_WASI_EBADF:
    case WM_WASI_EFAULT:
    case WM_WASI_EINVAL:
    case WM_WASI_EIO:
    case WM_WASI_ENOSYS:
    case WM_WASI_ENOTDIR:
    case WM_WASI_ENOTSOCK:
    case WM_WASI_ENOTSUP:
    case WM_WASI_EOVERFLOW:
    case WM_WASI_ESPIPE:
    case WM_WASI_ENOTCAPABLE: return true;
    default: return false;
    }
}

/* Every byte of memory that differs from the snapshot lies in a declared output (none
 * when the call was refused): the outputs' bytes are copied into the snapshot, then the
 * two must be equal. */
static void check_memory(const spans *sp, bool refused)
{
    if (!g.mem) return;
    for (uint32_t k = 0; k < sp->n && !refused; k++) {
        const span *s = &sp->s[k];
        if (!s->out || s->ptr >= g.mem_size) continue;
        uint32_t n = s->len < g.mem_size - s->ptr ? s->len : g.mem_size - s->ptr;
        memcpy(g_shadow + s->ptr, g.mem + s->ptr, n);
    }
    CHECK(memcmp(g.mem, g_shadow, g.mem_size) == 0);
}

static void check_result(const entry *e, const wm_val *args, const spans *sp, wm_err rc,
                         const wm_error *err, uint64_t r64)
{
    uint32_t r = (uint32_t)r64;
    bool wasmote = strcmp(e->module, "wasmote") == 0, wasi = !wasmote && strcmp(e->module, "env");
    if (rc == WM_ERR_TRAP) {
        /* only what ends the module traps */
        CHECK(is(e, "proc_exit") || is(e, "abort"));
        CHECK(!is(e, "proc_exit") || wm_sb_exited(&g.mod, err->msg, NULL));
        check_memory(sp, true);
        return;
    }
    CHECK(rc == WM_OK);
    bool any_out = false, all_in = true;
    for (uint32_t k = 0; k < sp->n; k++) {
        bool in = inside(sp->s[k].ptr, sp->s[k].len);
        if (sp->s[k].len_ok && !in) any_out = true;
        if (!in) all_in = false;
    }
    if (wasmote && strchr(e->e->sig, ':')[1] == 'I') { /* time_ms: never negative */
        CHECK((int64_t)r64 >= 0);
        check_memory(sp, true);
    } else if (wasmote) {
        int32_t v = (int32_t)r;
        CHECK(v >= WM_E_NACK);
        if (!sp->lens_ok)
            CHECK(v == WM_E_INVAL);
        else if (any_out)
            CHECK(v == WM_E_FAULT || v == WM_E_INVAL);
        else
            CHECK(v != WM_E_FAULT);
        if (v >= 0) CHECK(all_in);
        check_memory(sp, v < 0);
    } else if (wasi) {
        if (!has_result(e->e->sig)) return;
        CHECK(wasi_errno_known(r));
        if (e->denied_stub) CHECK(r == WM_WASI_ENOTCAPABLE);
        if (r == WM_WASI_ESUCCESS) CHECK(sp->lens_ok && all_in);
        if (r == WM_WASI_EFAULT) CHECK(!all_in); /* (WASI checks fds and ranges first) */
        if (r == WM_WASI_ESUCCESS && is(e, "poll_oneoff")) check_poll_clock(args);
        check_memory(sp, r != WM_WASI_ESUCCESS);
    } else {
        check_memory(sp, true); /* trace and seed write nothing */
    }
}

/* ---- running ---- */

static void refresh_memory(void)
{
    wm_memory *m = wm_instance_memory(g.mod.inst);
    g.mem = m ? wm_memory_data(m) : NULL;
    g.mem_size = m ? wm_memory_bytes(m) : 0u;
}

static wm_err run(const char *name, const wm_val *args, uint32_t nargs, wm_val *res, uint32_t nres,
                  wm_error *err)
{
    wm_err rc = wm_sb_call(&g.mod, name, args, nargs, res, nres, err);
    for (uint32_t i = 0; i < MAX_RESUMES && (rc == WM_ERR_OUT_OF_FUEL || rc == WM_ERR_BLOCKED) &&
                         wm_suspended(g.mod.inst);
         i++)
        rc = wm_resume(g.mod.inst, SLICE_FUEL, res, nres, err);
    if (wm_suspended(g.mod.inst)) {
        wm_abort(g.mod.inst);
        g.armed = false;
        g.mod.wait_uart = 0;
    }
    return rc;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t in_u8(input *in)
{
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static uint64_t in_le(input *in, uint32_t bytes)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < bytes; i++) v |= (uint64_t)in_u8(in) << (8u * i);
    return v;
}

static wm_val in_arg(input *in, char type)
{
    wm_val v;
    memset(&v, 0, sizeof v);
    v.type = type == 'i' ? WM_I32 : type == 'I' ? WM_I64 : type == 'f' ? WM_F32 : WM_F64;
    bool wide = type == 'I' || type == 'F';
    uint8_t tag = in_u8(in);
    int64_t x;
    if (tag < 0x40)
        x = (int64_t)tag - 8;
    else if (tag < 0x80)
        x = (int64_t)g.mem_size - (tag & 0x3F);
    else if (tag < 0xC0)
        x = (int64_t)(tag & 0x3F) * 256 + in_u8(in);
    else
        x = (int64_t)in_le(in, wide ? 8u : 4u);
    if (wide)
        v.of.i64 = (uint64_t)x;
    else
        v.of.i32 = (uint32_t)x;
    return v;
}

static void call(input *in, const entry *e, uint32_t k)
{
    const char *sig = e->e->sig;
    uint32_t np = nparams(sig);
    wm_val args[12], res[1];
    for (uint32_t i = 0; i < np; i++) args[i] = in_arg(in, sig[i]);
    if (!e->linked) return;
    char name[8];
    snprintf(name, sizeof name, "f%u", (unsigned)k);
    refresh_memory();
    if (g.mem) memcpy(g_shadow, g.mem, g.mem_size);
    spans sp;
    spans_of(e, args, &sp);
    /* the reserve past the end: allocated, not the module's until it grows */
    if (g.mem) POISON(g.mem + g.mem_size, g.mem_max - g.mem_size);
    wm_error err;
    memset(&err, 0, sizeof err);
    g.call_ms = g.clock_ms;
    wm_err rc = run(name, args, np, res, has_result(sig) ? 1u : 0u, &err);
    if (g.mem) UNPOISON(g.mem + g.mem_size, g.mem_max - g.mem_size);
    if (rc == WM_ERR_OUT_OF_FUEL || rc == WM_ERR_BLOCKED) {
        /* dropped after MAX_RESUMES slices (a long random_get): only outputs written */
        check_memory(&sp, false);
        return;
    }
    char rt = strchr(sig, ':')[1];
    uint64_t r = rc != WM_OK || !rt ? 0u : rt == 'I' || rt == 'F' ? res[0].of.i64 : res[0].of.i32;
    if (getenv("FUZZ_HOSTCALLS_TRACE")) { /* triage: each call as it is checked */
        fprintf(stderr, "%s.%s(", e->module, e->e->name);
        for (uint32_t i = 0; i < np; i++)
            fprintf(stderr, "%s%lld", i ? ", " : "", (long long)(int32_t)args[i].of.i32);
        fprintf(stderr, ") -> rc %d result %lld (memory %u)\n", (int)rc, (long long)r, g.mem_size);
    }
    check_result(e, args, &sp, rc, &err, r);
}

static void catalog(void)
{
    uint32_t nsets;
    const wm_sb_import_set *sets = wm_sb_import_sets(&nsets);
    g.ncat = 0;
    for (uint32_t s = 0; s < nsets; s++) {
        uint32_t n;
        const wm_sb_api_entry *t = sets[s].table(&n);
        for (uint32_t i = 0; i < n; i++) {
            CHECK(g.ncat < CATALOG_MAX);
            entry *e = &g.cat[g.ncat++];
            e->module = sets[s].module;
            e->e = &t[i];
            bool ok = t[i].cap == 0;
            for (uint32_t c = 0; c < NCAPS && !ok; c++)
                ok = granted_cap(c) && k_caps[c].kind == t[i].cap;
            e->linked = ok || sets[s].denied != NULL;
            e->denied_stub = !ok && sets[s].denied != NULL;
        }
    }
}

static void device_event(input *in)
{
    uint8_t what = in_u8(in);
    uint32_t v = (uint32_t)in_le(in, 2);
    switch (what % 5u) {
    case 0: g.sim.stretch = v; break;
    case 1: g.sim.jam = v % 64u; break;
    case 2:
        for (uint32_t i = 0; i < v % 80u; i++) {
            uint8_t b = (uint8_t)(v >> 8);
            (void)g.sim.ops.uart_write(&g.sim, 0, &b, 1);
        }
        break;
    case 3: g.sim.adc_in[0] = (uint8_t)v; break;
    default: g.sim.temp_mc = (int32_t)v - 32768; break;
    }
}

/* Installs are deterministic in the header, and linking 76 imports by name is most of
 * an input's time: the state right after an install (the arena's bytes, the package the
 * module reads in place, the module and host structs; everything else is re-initialised
 * per input) is kept per header and copied back, at the same addresses, when the header
 * comes again. */
#define CACHED 8u
static struct {
    uint8_t key[4];
    bool used;
    size_t arena_used;
    uint8_t *bytes;
    uint8_t pkg[sizeof g_pkg];
    wm_sb_module mod;
    wm_sb_host host;
    wm_arena arena;
} g_cache[CACHED];
static uint32_t g_cache_next;

static void install(const uint8_t key[4], const wm_sb_platform *plat, uint32_t min_pages,
                    uint32_t max_pages, bool memory, uint32_t mem_bytes, bool args)
{
    for (uint32_t i = 0; i < CACHED; i++) {
        if (!g_cache[i].used || memcmp(g_cache[i].key, key, 4) != 0) continue;
        memcpy(g_arena_mem, g_cache[i].bytes, g_cache[i].arena_used);
        memcpy(g_pkg, g_cache[i].pkg, sizeof g_pkg);
        g.mod = g_cache[i].mod;
        g.host = g_cache[i].host;
        g_arena = g_cache[i].arena;
        return;
    }
    wm_sb_host_init(&g.host, plat);
    uint32_t wasm_len = build_module(min_pages, max_pages, memory);
    uint32_t pkg_len = build_package(wasm_len, mem_bytes, args);
    wm_sb_device dev;
    memset(&dev, 0, sizeof dev);
    wm_arena_init(&g_arena, g_arena_mem, sizeof g_arena_mem);
    char err_buf[WM_MSG_MAX];
    wm_msg err;
    wm_msg_init(&err, err_buf, sizeof err_buf);
    if (wm_sb_install(&g.host, &g.mod, &g_arena, g_pkg, pkg_len, &dev, &err) != 0) {
        fprintf(stderr, "install refused: %s\n", err_buf);
        CHECK(0); /* the harness's own package: always installs */
    }
    uint32_t i = g_cache_next++ % CACHED;
    free(g_cache[i].bytes);
    g_cache[i].bytes = malloc(g_arena.used);
    CHECK(g_cache[i].bytes != NULL);
    memcpy(g_cache[i].bytes, g_arena_mem, g_arena.used);
    memcpy(g_cache[i].key, key, 4);
    memcpy(g_cache[i].pkg, g_pkg, sizeof g_pkg);
    g_cache[i].used = true;
    g_cache[i].arena_used = g_arena.used;
    g_cache[i].mod = g.mod;
    g_cache[i].host = g.host;
    g_cache[i].arena = g_arena;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4u) return 0;
    input in = {data, size};
    memset(&g, 0, sizeof g);
    g.mask = (uint32_t)in_le(&in, 3) & ((1u << NCAPS) - 1u);
    uint8_t memcfg = in_u8(&in);
    bool memory = (memcfg & 3u) != 3u;
    uint32_t min_pages = memory ? memcfg & 3u : 0u, max_pages = min_pages + ((memcfg >> 2) & 3u);
    uint32_t mem_bytes = (max_pages ? max_pages : 1u) * PAGE;
    catalog();

    wm_sim_periph_init(&g.sim, sim_now_ms);
    g.ops = g.sim.ops;
    g.ops.i2c_xfer = op_i2c;
    g.ops.spi_xfer = op_spi;
    g.ops.uart_write = op_uart_write;
    g.ops.uart_read = op_uart_read;
    g.ops.adc_read = op_adc;
    g.ops.pwm_set = op_pwm;
    wm_gpio_sim_init(&g.gpio, k_pin_names, k_pin_flags, g.levels, 3);
    memset(g_kv_mem, 0xFF, sizeof g_kv_mem);
    CHECK(wm_flash_ram_init(&g.flash, g_kv_mem, KV_SIZE, KV_SECTOR) == 0);
    CHECK(wm_kv_mount(&g.kv, &g.flash.ops) == 0);
    wm_sb_platform plat;
    memset(&plat, 0, sizeof plat);
    plat.now_ms = now_ms;
    plat.log = log_hook;
    plat.sleep = sleep_hook;
    plat.wait = wait_hook;
    plat.gpio = &g.gpio.ops;
    plat.kv = &g.kv;
    plat.output = output_hook;
    plat.random = random_hook;
    plat.periph = &g.ops;
    install(data, &plat, min_pages, max_pages, memory, mem_bytes, (memcfg & 0x10u) != 0);
    g.mem_max = max_pages * PAGE; /* allocated up front (limits.mem_reserve) */
    refresh_memory();

    for (uint32_t calls = 0; in.n > 0 && calls < MAX_CALLS; calls++) {
        uint8_t op = in_u8(&in);
        if (op < 0xE0) {
            uint32_t k = op % g.ncat;
            call(&in, &g.cat[k], k);
        } else if (op < 0xF0) {
            uint32_t at = (uint32_t)in_le(&in, 2), n = in_u8(&in);
            for (uint32_t i = 0; i < n; i++) {
                uint8_t b = in_u8(&in);
                refresh_memory();
                if (at + i < g.mem_size) g.mem[at + i] = b;
            }
        } else if (op < 0xF8) {
            if (!memory) continue;
            wm_val a = {.type = WM_I32}, r;
            a.of.i32 = op & 7u;
            wm_error e;
            (void)run("g", &a, 1, &r, 1, &e);
        } else {
            device_event(&in);
        }
    }
    wm_sb_uninstall(&g.mod);
    return 0;
}
