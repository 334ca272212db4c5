/* The demo module: plain computation, no imports, so it runs on any wasmote device. */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("fib") int32_t fib(int32_t n)
{
    int32_t a = 0, b = 1;
    for (int32_t i = 0; i < n; i++) {
        int32_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

/* Checksum of a buffer in the module's own linear memory. */
static uint8_t buf[256];

EXPORT("crc32") uint32_t crc32(int32_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (int32_t i = 0; i < len && i < (int32_t)sizeof buf; i++) {
        buf[i] = (uint8_t)i;
        crc ^= buf[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    }
    return ~crc;
}

EXPORT("mean") double mean(double a, double b) { return (a + b) / 2.0; }

/* Deliberately bad: a driver that reads a hardware register as if it were in the module's
 * memory. The runtime traps; the device and the other modules carry on, and the report
 * names the function and line. */
__attribute__((noinline)) static int32_t read_register(uint32_t address)
{
    return *(volatile int32_t *)address;
}

EXPORT("crash") int32_t crash(void) { return read_register(0x7ffffff0u) + 1; }
