/* Readings travel as decimal text, so any subscriber (or a human reading logs) can use them. */
#include "decimal.h"

#include "wasmote.h"

/* Writes value in decimal (no terminator); returns the length (1..11). */
int32_t format_decimal(int32_t value, char *out)
{
    char tmp[DECIMAL_MAX];
    int32_t n = 0;
    int32_t len = 0;
    /* Negative digits: -2147483648 has no positive counterpart. */
    int32_t v = value < 0 ? value : -value;
    do {
        tmp[n++] = (char)('0' - v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0) {
        out[len++] = '-';
    }
    while (n > 0) {
        out[len++] = tmp[--n];
    }
    return len;
}

/* Parses [-]digits; returns 0 and sets *value, or -1 if malformed or out of range. */
int32_t parse_decimal(const char *s, int32_t len, int32_t *value)
{
    int32_t i = 0;
    int64_t acc = 0;
    int neg = 0;
    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i >= len || len > DECIMAL_MAX) {
        return -1;
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        acc = acc * 10 + (s[i] - '0');
    }
    acc = neg ? -acc : acc;
    if (acc < INT32_MIN || acc > INT32_MAX) {
        return -1;
    }
    *value = (int32_t)acc;
    return 0;
}

int32_t log_decimal(const char *text, int32_t value)
{
    char line[WM_LOG_MAX];
    int32_t n = 0;
    while (*text && n < WM_LOG_MAX - DECIMAL_MAX) {
        line[n++] = *text++;
    }
    n += format_decimal(value, line + n);
    return wm_log(line, n);
}

/* Self-check export: format then parse; returns value when both work (tests call it). */
__attribute__((export_name("decimal_roundtrip"))) int32_t decimal_roundtrip(int32_t value)
{
    char buf[DECIMAL_MAX];
    int32_t out = 0;
    int32_t n = format_decimal(value, buf);
    if (parse_decimal(buf, n, &out) != 0) {
        return -1;
    }
    return out;
}

__attribute__((export_name("decimal_length"))) int32_t decimal_length(int32_t value)
{
    char buf[DECIMAL_MAX];
    return format_decimal(value, buf);
}
