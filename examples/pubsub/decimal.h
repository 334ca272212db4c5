#ifndef DECIMAL_H
#define DECIMAL_H
#include <stdint.h>

#define DECIMAL_MAX 11 /* "-2147483648" */

int32_t format_decimal(int32_t value, char *out);
int32_t parse_decimal(const char *s, int32_t len, int32_t *value);
/* Logs text followed by value in decimal ("tmp105: read failed: -12"); needs `log`. */
int32_t log_decimal(const char *text, int32_t value);

#endif
