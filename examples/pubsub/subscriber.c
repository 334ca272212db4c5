/* subscriber: listens on every sensors/ topic, logs the mean of every 4 readings. */
#include "wasmote.h"
#include "decimal.h"

#define PATTERN "sensors/*"
#define BATCH 4

static char buf[WM_RECEIVE_BUF_MIN];

__attribute__((export_name("run"))) int32_t run(void)
{
    int32_t sum = 0;
    int32_t count = 0;
    int32_t r = wm_subscribe(PATTERN, wm_strlen(PATTERN));
    if (r < 0) {
        return r;
    }
    for (;;) {
        /* -1: wait for ever; this module sleeps until a message arrives. */
        int32_t n = wm_receive(buf, (int32_t)sizeof buf, -1);
        int32_t value;
        if (n < 0) {
            return n;
        }
        int32_t topic_len = (uint8_t)buf[0];
        const char *data = buf + 1 + topic_len;
        if (parse_decimal(data, n - 1 - topic_len, &value) != 0) {
            wm_log_str("subscriber: ignored a malformed reading");
            continue;
        }
        sum += value;
        if (++count == BATCH) {
            char line[32] = "mean of 4: ";
            int32_t len = 11;
            len += format_decimal(sum / BATCH, line + len);
            wm_log(line, len);
            sum = 0;
            count = 0;
        }
    }
}
