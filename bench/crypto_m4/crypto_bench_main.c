/* Benchmark image for the device-side crypto on QEMU boards: Cortex-M4 (mps2-an386) and,
 * for comparison, RV32IMAC (virt).
 *
 * Linked with the firmware's own start-up and port (firmware/src/port/<port>), this
 * replaces the app's wm_app_main. It counts each case and prints one line per case on the
 * UART; bench/crypto_verify.py builds it, runs QEMU with -icount shift=0 (one instruction =
 * 1 ns) and parses the lines. On the M4 the counter is SysTick on the 25 MHz CPU clock (one
 * tick = 40 instructions); on RV32 it is the minstret CSR (instructions retired). The
 * vectors come from a header the bench script generates. */
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "bare_console.h"
#include "bare_counter.h"
#include "crypto_bench_vectors.h"
#include "ed25519.h"
#include "random.h"
#include "sha256.h"
#include "sha512.h"
#include "wasmote_port.h"

void wm_app_main(void);

#define STACK_PAINT 0x5AA5A55Au
#define STACK_WINDOW 24576u /* bytes below SP painted for the high-water mark */

#if defined(__arm__)
static uint32_t stack_pointer(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* Exactly 2 instructions per iteration (subs + bne): calibrates ticks to instructions. */
static uint32_t run_calibration(void)
{
    uint32_t n = 1000000u;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    return n;
}
#elif defined(__riscv)
static uint32_t stack_pointer(void)
{
    uint32_t sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    return sp;
}

/* Exactly 2 instructions per iteration (addi + bnez). */
static uint32_t run_calibration(void)
{
    uint32_t n = 1000000u;
    __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
    return n;
}
#else
#error "crypto bench: no counter for this CPU"
#endif

typedef struct {
    const char *name;
    uint32_t (*run)(void);
} bench_case;

static uint32_t run_nothing(void) { return 0; }

static uint8_t bench_buf[4096];

static uint32_t run_sha256_4k(void)
{
    uint8_t d[32];
    return (uint32_t)wm_sha256(bench_buf, sizeof bench_buf, d) + d[0] * 0u;
}

static uint32_t run_sha512_4k(void)
{
    uint8_t d[64];
    return (uint32_t)wm_sha512(bench_buf, sizeof bench_buf, d) + d[0] * 0u;
}

static uint32_t run_verify_empty(void)
{
    return (uint32_t)wm_ed25519_verify(bench_pub_test1, NULL, 0, bench_sig_test1);
}

static uint32_t run_verify_1023(void)
{
    return (uint32_t)wm_ed25519_verify(bench_pub_test1024, bench_msg_test1024,
                                       sizeof bench_msg_test1024, bench_sig_test1024);
}

static uint32_t run_verify_4k(void)
{
    return (uint32_t)wm_ed25519_verify(bench_pub_4k, bench_msg_4k, sizeof bench_msg_4k,
                                       bench_sig_4k);
}

static uint32_t run_verify_tampered(void)
{
    return (uint32_t)wm_ed25519_verify(bench_pub_4k, bench_msg_4k, sizeof bench_msg_4k,
                                       bench_sig_4k_tampered);
}

/* The management link's per-request costs (protocol/auth.c, core/random). */
static wm_random bench_rng;
static wm_auth_pool bench_pool;

static int bench_entropy(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 13u + 5u);
    }
    return WM_RANDOM_SEEDED;
}

static uint32_t run_nonce_drbg(void)
{
    uint8_t n[WM_AUTH_NONCE_BYTES];
    return (uint32_t)wm_random_bytes(&bench_rng, n, sizeof n) + n[0] * 0u;
}

static uint32_t check_run_token(const uint8_t *nonce)
{
    wm_auth_key key;
    wm_auth_identity id = {bench_auth_device_id, &key, 1u};
    size_t len = sizeof bench_auth_request;
    for (size_t i = 0; i < 32u; i++) {
        key.pub[i] = bench_auth_request[len - WM_AUTH_TRAILER + i];
    }
    key.roles = WM_ROLES_ALL;
    wm_auth_pool_init(&bench_pool);
    wm_auth_issue(&bench_pool, nonce, 0u);
    return (uint32_t)wm_auth_check(&bench_pool, &id, WM_ROLE_OPERATE, BENCH_AUTH_MSG,
                                   bench_auth_request, len, 1u);
}

static uint32_t run_auth_token(void) { return check_run_token(bench_auth_nonce); }

static uint32_t run_auth_unknown_nonce(void)
{
    static const uint8_t other[WM_AUTH_NONCE_BYTES] = {1};
    return check_run_token(other);
}

static const bench_case cases[] = {
    {"empty", run_nothing},
    {"calibration_2M_insns", run_calibration},
    {"sha256_4096B", run_sha256_4k},
    {"sha512_4096B", run_sha512_4k},
    {"verify_rfc_test1_0B", run_verify_empty},
    {"verify_rfc_test1024_1023B", run_verify_1023},
    {"verify_4096B", run_verify_4k},
    {"verify_4096B_tampered", run_verify_tampered},
    {"nonce_drbg_16B", run_nonce_drbg},
    {"auth_token_RUN", run_auth_token},
    {"auth_unknown_nonce_RUN", run_auth_unknown_nonce},
};

/* Paints the stack below the current stack pointer, runs the case, and reports how deep
 * the case wrote: the stack a caller must have free for it. */
static __attribute__((noinline)) void measure(const bench_case *c)
{
    volatile uint32_t *bottom;
    uint32_t sp, start, cycles, result, used, i;
    sp = stack_pointer();
    bottom = (volatile uint32_t *)(uintptr_t)((sp - STACK_WINDOW) & ~3u);
    for (i = 0; i < STACK_WINDOW / 4u; i++) {
        bottom[i] = STACK_PAINT;
    }
    start = counter_start();
    result = c->run();
    cycles = counter_elapsed(start);
    for (i = 0; i < STACK_WINDOW / 4u && bottom[i] == STACK_PAINT; i++) {
    }
    used = sp - (uint32_t)(uintptr_t)&bottom[i];
    bare_put("case ");
    bare_put(c->name);
    bare_put(" cycles=");
    bare_put_u32(cycles);
    bare_put(" result=");
    bare_put_u32(result);
    bare_put(" stack=");
    bare_put_u32(i == 0u ? 0xFFFFFFFFu : used);
    bare_put("\r\n");
}

void wm_app_main(void)
{
    size_t i;
    for (i = 0; i < sizeof bench_buf; i++) {
        bench_buf[i] = (uint8_t)(i * 7u + 3u);
    }
    wm_random_init(&bench_rng, bench_entropy, NULL, NULL, 0);
    bare_put("crypto-bench start counter=" COUNTER_NAME " cpu_hz=");
    bare_put_u32((uint32_t)F_CPU);
    bare_put("\r\n");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        measure(&cases[i]);
    }
    bare_put("crypto-bench done\r\n");
    for (;;) {
        wm_port_idle();
    }
}
