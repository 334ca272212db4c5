/* eeprom_logger: keeps the last 64 temperature readings (sensors/temperature, decimal
 * millidegrees) in a ring in an AT24C32 I2C EEPROM (ring.h), so they survive resets and
 * power loss. Each append is one page write with the two-byte address in front, then
 * ACK polling while the part's write cycle runs (it NACKs its address for up to 5 ms),
 * then a read-back that must match. The manifest grants the EEPROM by its board name
 * (i2c:eeprom0) and nothing else on the bus. */
#include "wasmote.h"
#include "../pubsub/decimal.h"
#include "ring.h"

#define TOPIC "sensors/temperature"
#define WRITE_CYCLE_POLLS 20 /* x 1 ms: the AT24C32's tWR is at most 5 ms */

static int32_t dev = -1;
static uint8_t image[RING_RECORDS * RING_RECORD];
static int32_t next_slot;
static uint32_t next_seq = 1;
static int32_t verify_failures;

static int32_t open_eeprom(void)
{
    if (dev < 0) {
        dev = wm_i2c_open_str("eeprom0");
    }
    return dev;
}

/* A transaction that retries while the part is busy with its write cycle. */
static int32_t read_at(uint16_t addr, uint8_t *buf, int32_t n)
{
    uint8_t a[2] = {(uint8_t)(addr >> 8), (uint8_t)addr};
    int32_t rc = WM_E_NACK;
    for (int32_t i = 0; i < WRITE_CYCLE_POLLS && rc == WM_E_NACK; i++) {
        rc = wm_i2c_write_read(dev, a, 2, buf, n);
        if (rc == WM_E_NACK) {
            wm_sleep_ms(1);
        }
    }
    return rc;
}

/* Reads the whole ring (8 reads of 64 bytes) and finds where the next record goes. */
static int32_t scan(void)
{
    if (open_eeprom() < 0) {
        return dev;
    }
    for (int32_t off = 0; off < (int32_t)sizeof image; off += WM_I2C_MAX) {
        int32_t rc = read_at((uint16_t)(RING_BASE + off), image + off, WM_I2C_MAX);
        if (rc < 0) {
            return rc;
        }
    }
    uint32_t seq;
    int32_t newest = ring_newest(image, &seq);
    next_slot = newest < 0 ? 0 : (newest + 1) % RING_RECORDS;
    next_seq = seq >= RING_SEQ_MAX ? 1 : seq + 1;
    return 0;
}

static int32_t append(int32_t value)
{
    uint8_t w[2 + RING_RECORD], back[RING_RECORD];
    uint16_t addr = (uint16_t)(RING_BASE + next_slot * RING_RECORD);
    w[0] = (uint8_t)(addr >> 8);
    w[1] = (uint8_t)addr;
    ring_encode(next_seq, value, w + 2);
    int32_t rc = WM_E_NACK;
    for (int32_t i = 0; i < WRITE_CYCLE_POLLS && rc == WM_E_NACK; i++) {
        rc = wm_i2c_write(dev, w, (int32_t)sizeof w);
        if (rc == WM_E_NACK) {
            wm_sleep_ms(1);
        }
    }
    if (rc < 0) {
        return rc;
    }
    rc = read_at(addr, back, RING_RECORD); /* ACK polling, then the read-back */
    if (rc < 0) {
        return rc;
    }
    for (int32_t i = 0; i < RING_RECORD; i++) {
        if (back[i] != w[2 + i]) {
            verify_failures++;
            return WM_E_IO;
        }
    }
    next_slot = (next_slot + 1) % RING_RECORDS;
    next_seq = next_seq >= RING_SEQ_MAX ? 1 : next_seq + 1;
    return 0;
}

/* The entry: every reading published on the topic goes into the ring. */
__attribute__((export_name("run"))) int32_t run(void)
{
    int32_t rc = scan();
    if (rc < 0) {
        log_decimal("eeprom_logger: cannot read the EEPROM: ", rc);
        return rc;
    }
    wm_subscribe(TOPIC, wm_strlen(TOPIC));
    uint8_t msg[WM_RECEIVE_BUF_MIN];
    for (int32_t count = 1;; count++) {
        int32_t n = wm_receive(msg, (int32_t)sizeof msg, -1), value;
        if (n < 0 || parse_decimal((const char *)msg + 1 + msg[0], n - 1 - msg[0], &value)) {
            continue;
        }
        rc = append(value);
        if (rc < 0) {
            log_decimal("eeprom_logger: append failed: ", rc);
        } else if (count % 10 == 0) {
            log_decimal("eeprom_logger: records written: ", count);
        }
    }
}

/* For `wasmote run`: the valid records in the ring, ... */
__attribute__((export_name("count"))) int32_t count(void)
{
    int32_t rc = scan(), n = 0, v;
    for (int32_t i = 0; rc == 0 && i < RING_RECORDS; i++) {
        n += ring_decode(image + i * RING_RECORD, &v) != 0;
    }
    return rc < 0 ? rc : n;
}

/* ... how many stored readings differ from `value`, ... */
__attribute__((export_name("differ"))) int32_t differ(int32_t value)
{
    int32_t rc = scan(), n = 0, v;
    for (int32_t i = 0; rc == 0 && i < RING_RECORDS; i++) {
        n += ring_decode(image + i * RING_RECORD, &v) != 0 && v != value;
    }
    return rc < 0 ? rc : n;
}

/* ... the newest value, ... */
__attribute__((export_name("last"))) int32_t last(void)
{
    int32_t rc = scan(), v = 0;
    if (rc < 0) {
        return rc;
    }
    int32_t slot = (next_slot + RING_RECORDS - 1) % RING_RECORDS;
    return ring_decode(image + slot * RING_RECORD, &v) ? v : WM_E_NOTFOUND;
}

/* ... and how many records are out of sequence: walking back from the newest, each
 * valid record's number must be one less than the one after it (0 for a ring written by
 * whole, uninterleaved transactions). */
__attribute__((export_name("gaps"))) int32_t gaps(void)
{
    int32_t rc = scan(), bad = 0, v;
    if (rc < 0) {
        return rc;
    }
    uint32_t expect = next_seq - 1;
    for (int32_t k = 1; k <= RING_RECORDS && expect > 0; k++, expect--) {
        int32_t slot = (next_slot + RING_RECORDS - k) % RING_RECORDS;
        bad += ring_decode(image + slot * RING_RECORD, &v) != expect;
    }
    return bad + verify_failures;
}
