/*
 * wasmote.h — the host API for wasmote modules, API version 1 (docs/api.md).
 *
 * Include this in C code compiled to wasm32, e.g.
 *   python -m ziglang cc -target wasm32-freestanding -nostdlib -Wl,--no-entry \
 *       -fno-sanitize=undefined -Os -Wl,-z,stack-size=8192 -Wl,--initial-memory=65536 \
 *       -I sdk app.c -o app.wasm
 * (without the last two link flags the linker reserves a 1 MiB stack: 17 pages of memory,
 * more than a microcontroller gives a module; see limits.memory in the manifest).
 *
 * Every function below is an import from module "wasmote". The device links an import
 * only if the module's manifest grants it (capability in brackets); a module that imports
 * an ungranted function is refused at install, naming the import. Pointers are offsets in
 * the module's own linear memory; a pointer/length that does not lie wholly inside it is
 * answered with WM_E_FAULT — host functions never trap on bad arguments.
 */
#ifndef WASMOTE_SDK_H
#define WASMOTE_SDK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WM_API_VERSION 1

/* Results: >= 0 is success (a count or length where documented), < 0 one of these. */
#define WM_OK            0
#define WM_E_FAULT      (-1)  /* a pointer/length lies outside the module's memory */
#define WM_E_INVAL      (-2)  /* a malformed argument (length, name, topic, value) */
#define WM_E_DENIED     (-3)  /* the manifest does not grant this pin or topic */
#define WM_E_NOTFOUND   (-4)  /* no such key, pin name or pin */
#define WM_E_NOSPACE    (-5)  /* the caller's buffer is too small (nothing consumed) */
#define WM_E_QUOTA      (-6)  /* the module's key-value quota would be exceeded */
#define WM_E_TIMEOUT    (-7)  /* receive: no message within the timeout */
#define WM_E_FULL       (-8)  /* too many subscriptions */
#define WM_E_IO         (-9)  /* flash or hardware failure; the old state is kept */
#define WM_E_UNSUPPORTED (-10) /* the board cannot do this (e.g. write an input pin) */
#define WM_E_BUDGET     (-11) /* kv: this hour's write budget (limits.kv_write) is spent */

/* Limits every API-1 device provides (larger inputs get WM_E_INVAL unless noted). */
#define WM_LOG_MAX          128 /* longer log messages are truncated, not refused */
#define WM_PIN_NAME_MAX      32
#define WM_KV_KEY_MAX        32
#define WM_KV_VALUE_MAX     256
#define WM_TOPIC_MAX         32
#define WM_MESSAGE_MAX       64
#define WM_QUEUE_DEPTH        8 /* messages waiting per module; more are dropped */
#define WM_SUBSCRIPTIONS_MAX  4
#define WM_RECEIVE_BUF_MIN  (1 + WM_TOPIC_MAX + WM_MESSAGE_MAX) /* always enough */

#define WM_IMPORT(name) __attribute__((import_module("wasmote"), import_name(#name)))

/* [log] Send len bytes as one log line; returns the number of bytes logged. */
WM_IMPORT(log) int32_t wm_log(const void *msg, int32_t len);

/* [time] Milliseconds since boot, monotonic, never negative. */
WM_IMPORT(time_ms) int64_t wm_time_ms(void);

/* [sleep] Suspend this module for at least ms milliseconds (others run); returns 0. */
WM_IMPORT(sleep_ms) int32_t wm_sleep_ms(int32_t ms);

/* [always linked] Give up the rest of this time slice; returns 0. */
WM_IMPORT(yield) int32_t wm_yield(void);

/* [gpio:NAME] Look up a board pin by name ("led0"); returns a pin handle >= 0. */
WM_IMPORT(gpio_pin) int32_t wm_gpio_pin(const char *name, int32_t len);
/* [gpio:NAME] Drive an output pin: value 0 = low/off, anything else = high/on. */
WM_IMPORT(gpio_write) int32_t wm_gpio_write(int32_t pin, int32_t value);
/* [gpio:NAME] Read a pin: 0 or 1 (an output reads back its last written level). */
WM_IMPORT(gpio_read) int32_t wm_gpio_read(int32_t pin);

/* [kv] Read a value: returns its length; copies it into buf only if length <= cap. */
WM_IMPORT(kv_get) int32_t wm_kv_get(const void *key, int32_t key_len, void *buf, int32_t cap);
/* [kv] Store a value persistently (atomic: a power cut leaves the old or the new). */
WM_IMPORT(kv_set) int32_t wm_kv_set(const void *key, int32_t key_len,
                                    const void *value, int32_t value_len);
/* [kv] Remove a key; WM_E_NOTFOUND if it does not exist. */
WM_IMPORT(kv_delete) int32_t wm_kv_delete(const void *key, int32_t key_len);

/* [pubsub:PATTERN] Publish to a topic; returns how many subscriber queues took it. */
WM_IMPORT(publish) int32_t wm_publish(const char *topic, int32_t topic_len,
                                      const void *data, int32_t data_len);
/* [pubsub:PATTERN] Subscribe to a topic or a pattern (a last segment "*"); returns 0. */
WM_IMPORT(subscribe) int32_t wm_subscribe(const char *pattern, int32_t len);
/* [pubsub:PATTERN] Wait up to timeout_ms (0 = poll, -1 = forever) for a message and
 * write it to buf as: u8 topic length, topic bytes, data bytes. Returns the bytes written
 * (data length = result - 1 - buf[0]). */
WM_IMPORT(receive) int32_t wm_receive(void *buf, int32_t cap, int32_t timeout_ms);

/* Conveniences (no imports of their own). Our own strlen: modules have no libc. */
static inline int32_t wm_strlen(const char *s) {
    int32_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}
static inline int32_t wm_log_str(const char *s) {
    return wm_log(s, wm_strlen(s));
}
static inline int32_t wm_gpio_pin_str(const char *name) {
    return wm_gpio_pin(name, wm_strlen(name));
}

#ifdef __cplusplus
}
#endif

#endif /* WASMOTE_SDK_H */
