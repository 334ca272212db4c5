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
#define WM_OK 0
#define WM_E_FAULT (-1)        /* a pointer/length lies outside the module's memory */
#define WM_E_INVAL (-2)        /* a malformed argument (length, name, topic, value) */
#define WM_E_DENIED (-3)       /* the manifest does not grant this pin or topic */
#define WM_E_NOTFOUND (-4)     /* no such key, pin name or pin */
#define WM_E_NOSPACE (-5)      /* the caller's buffer is too small (nothing consumed) */
#define WM_E_QUOTA (-6)        /* the module's key-value quota would be exceeded */
#define WM_E_TIMEOUT (-7)      /* receive: no message within the timeout */
#define WM_E_FULL (-8)         /* too many subscriptions */
#define WM_E_IO (-9)           /* flash or hardware failure; the old state is kept */
#define WM_E_UNSUPPORTED (-10) /* the board cannot do this (e.g. write an input pin) */
#define WM_E_BUDGET (-11)      /* kv: this hour's write budget (limits.kv_write) is spent */
#define WM_E_NACK (-12)        /* the I2C device did not acknowledge (absent, or busy) */

/* Limits every API-1 device provides (larger inputs get WM_E_INVAL unless noted). */
#define WM_LOG_MAX 128 /* longer log messages are truncated, not refused */
#define WM_PIN_NAME_MAX 32
#define WM_KV_KEY_MAX 32
#define WM_KV_VALUE_MAX 256
#define WM_TOPIC_MAX 32
#define WM_MESSAGE_MAX 64
#define WM_QUEUE_DEPTH 8 /* messages waiting per module; more are dropped */
#define WM_SUBSCRIPTIONS_MAX 4
#define WM_RECEIVE_BUF_MIN (1 + WM_TOPIC_MAX + WM_MESSAGE_MAX) /* always enough */
#define WM_PERIPH_NAME_MAX 32 /* the device or channel argument of an *_open */
#define WM_PERIPH_HANDLES 8   /* peripheral handles a module may hold at once */
#define WM_I2C_MAX 64         /* bytes of one I2C write or read */
#define WM_SPI_MAX 64         /* bytes of one SPI transfer */
#define WM_UART_MAX 64        /* bytes of one uart_write / uart_read */
#define WM_PWM_HZ_MAX 1000000 /* highest pwm_set frequency (a board may do less) */

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
WM_IMPORT(kv_set)
int32_t wm_kv_set(const void *key, int32_t key_len, const void *value, int32_t value_len);
/* [kv] Remove a key; WM_E_NOTFOUND if it does not exist. */
WM_IMPORT(kv_delete) int32_t wm_kv_delete(const void *key, int32_t key_len);

/* [pubsub:PATTERN] Publish to a topic; returns how many subscriber queues took it. */
WM_IMPORT(publish)
int32_t wm_publish(const char *topic, int32_t topic_len, const void *data, int32_t data_len);
/* [pubsub:PATTERN] Subscribe to a topic or a pattern (a last segment "*"); returns 0. */
WM_IMPORT(subscribe) int32_t wm_subscribe(const char *pattern, int32_t len);
/* [pubsub:PATTERN] Wait up to timeout_ms (0 = poll, -1 = forever) for a message and
 * write it to buf as: u8 topic length, topic bytes, data bytes. Returns the bytes written
 * (data length = result - 1 - buf[0]). */
WM_IMPORT(receive) int32_t wm_receive(void *buf, int32_t cap, int32_t timeout_ms);

/* Peripherals. An *_open takes the device or channel as the manifest grants it: "0/0x48"
 * (I2C bus 0, address 0x48), "0/1" (SPI bus 0, chip select 1) or a board name ("temp0",
 * "aux"), and returns a handle >= 0. A target the manifest does not grant is WM_E_DENIED
 * before the board is even asked. One call is one whole bus transaction: no other module's
 * traffic gets between its bytes, and its bus time counts against this module's fuel. */

/* [i2c:...] Open an I2C device: "BUS/0xAA" or a board name. */
WM_IMPORT(i2c_open) int32_t wm_i2c_open(const char *dev, int32_t len);
/* [i2c:...] START, address+W, len bytes, STOP; returns len. WM_E_NACK if not acknowledged. */
WM_IMPORT(i2c_write) int32_t wm_i2c_write(int32_t h, const void *buf, int32_t len);
/* [i2c:...] START, address+R, len bytes (the last NACKed), STOP; returns len. */
WM_IMPORT(i2c_read) int32_t wm_i2c_read(int32_t h, void *buf, int32_t len);
/* [i2c:...] Write wlen bytes, repeated START, read rlen bytes, STOP (a register read);
 * returns rlen. */
WM_IMPORT(i2c_write_read)
int32_t wm_i2c_write_read(int32_t h, const void *w, int32_t wlen, void *r, int32_t rlen);
/* [spi:...] Open an SPI device: "BUS/CS" or a board name. */
WM_IMPORT(spi_open) int32_t wm_spi_open(const char *dev, int32_t len);
/* [spi:...] Chip select held for max(tx_len, rx_len) bytes, full duplex: tx is sent (then
 * 0x00), what comes back fills rx (the rest is dropped). Returns the bytes clocked. */
WM_IMPORT(spi_transfer)
int32_t wm_spi_transfer(int32_t h, const void *tx, int32_t tx_len, void *rx, int32_t rx_len);
/* [uart:NAME] Open one of the board's auxiliary UARTs (never the console). */
WM_IMPORT(uart_open) int32_t wm_uart_open(const char *name, int32_t len);
/* [uart:NAME] Queue up to len bytes; returns how many the transmitter took (maybe 0). */
WM_IMPORT(uart_write) int32_t wm_uart_write(int32_t h, const void *buf, int32_t len);
/* [uart:NAME] Take up to cap received bytes; with none, wait up to timeout_ms (0 = poll,
 * -1 = forever; this module is suspended meanwhile). Returns the count, or WM_E_TIMEOUT. */
WM_IMPORT(uart_read) int32_t wm_uart_read(int32_t h, void *buf, int32_t cap, int32_t timeout_ms);
/* [adc:NAME] Open an ADC channel by its board name. */
WM_IMPORT(adc_open) int32_t wm_adc_open(const char *name, int32_t len);
/* [adc:NAME] One conversion: the raw code (0 .. 2^bits - 1, bits as the board says). */
WM_IMPORT(adc_read) int32_t wm_adc_read(int32_t h);
/* [pwm:NAME] Open a PWM output by its board name. */
WM_IMPORT(pwm_open) int32_t wm_pwm_open(const char *name, int32_t len);
/* [pwm:NAME] Frequency in Hz and duty in 1/65536 (0 off .. 65535 fully on); returns 0. */
WM_IMPORT(pwm_set) int32_t wm_pwm_set(int32_t h, int32_t hz, int32_t duty);
/* [always linked] Close a handle of this module (a PWM output goes to 0 %). */
WM_IMPORT(periph_close) int32_t wm_periph_close(int32_t h);

/* Conveniences (no imports of their own). Our own strlen: modules have no libc. */
static inline int32_t wm_strlen(const char *s)
{
    int32_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}
static inline int32_t wm_log_str(const char *s) { return wm_log(s, wm_strlen(s)); }
static inline int32_t wm_gpio_pin_str(const char *name)
{
    return wm_gpio_pin(name, wm_strlen(name));
}
static inline int32_t wm_i2c_open_str(const char *dev) { return wm_i2c_open(dev, wm_strlen(dev)); }
/* I2C device by bus and 7-bit address, without a formatter: "BUS/0xAA". */
static inline int32_t wm_i2c_open_addr(int32_t bus, int32_t addr)
{
    static const char hex[] = "0123456789abcdef";
    char s[8];
    int32_t n = 0;
    if (bus < 0 || bus > 15 || addr < 0 || addr > 0x7F) {
        return WM_E_INVAL;
    }
    if (bus >= 10) {
        s[n++] = '1';
    }
    s[n++] = (char)('0' + bus % 10);
    s[n++] = '/';
    s[n++] = '0';
    s[n++] = 'x';
    s[n++] = hex[(addr >> 4) & 0xF];
    s[n++] = hex[addr & 0xF];
    return wm_i2c_open(s, n);
}
static inline int32_t wm_spi_open_str(const char *dev) { return wm_spi_open(dev, wm_strlen(dev)); }
static inline int32_t wm_uart_open_str(const char *name)
{
    return wm_uart_open(name, wm_strlen(name));
}
static inline int32_t wm_adc_open_str(const char *name)
{
    return wm_adc_open(name, wm_strlen(name));
}
static inline int32_t wm_pwm_open_str(const char *name)
{
    return wm_pwm_open(name, wm_strlen(name));
}

#ifdef __cplusplus
}
#endif

#endif /* WASMOTE_SDK_H */
