/* Codec check for the Python side: reads one hex string per line, prints
 * "<cobs hex> <crc32 hex>" after checking that decode(encode(x)) == x in C. */
#include <stdio.h>
#include <string.h>

#include "protocol/cobs.h"
#include "base/wm_crc32.h"

static unsigned char in[8192], enc[8300], dec[8192];
static char line[20000];

int main(void)
{
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t n = 0, len = strcspn(line, "\r\n");
        for (size_t i = 0; i + 1 < len + 1 && i + 1 < len + 1 && i + 1 <= len - 1; i += 2) {
            unsigned v;
            if (sscanf(line + i, "%2x", &v) != 1) {
                return 2;
            }
            in[n++] = (unsigned char)v;
        }
        size_t e = 0, d = 0;
        if (wm_cobs_encode(in, n, enc, sizeof enc, &e) != 0 ||
            wm_cobs_decode(enc, e, dec, sizeof dec, &d) != 0 || d != n || memcmp(in, dec, n) != 0 ||
            memchr(enc, 0, e) != NULL || e > WM_COBS_MAX_ENCODED(n)) {
            printf("MISMATCH\n");
            continue;
        }
        for (size_t i = 0; i < e; i++) {
            printf("%02x", enc[i]);
        }
        printf(" %08lx\n", (unsigned long)wm_crc32(0, in, n));
    }
    return 0;
}
