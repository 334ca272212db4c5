"""`wasmote new NAME --template i2c-sensor`: a sensor-driver project.

The driver reads a 16-bit register of an I2C sensor with one write-read transaction and
publishes it; as generated it drives the board's `temp0` (a TMP105 on the QEMU mps2 boards,
a simulated one on the posix device), so it runs on `wasmote sim` before a line is changed,
and the README says what to change for another part.
"""

from __future__ import annotations

MAIN_C = """\
/* {name}: an I2C sensor driver module ({api_doc}, "Peripherals"). Build: ./build.sh
 *
 * As generated it reads a TI TMP105 (the board's temp0): 12-bit conversions, the
 * temperature register read with one write-then-read transaction (repeated START), and
 * publishes millidegrees on {topic}. For another sensor change DEVICE, the
 * register constants and convert(), and the grant in wasmote.toml. */
#include "wasmote.h"

#define DEVICE "temp0"          /* the board's name, or "BUS/0xAA" (then grant i2c:0/0xAA) */
#define REG_CONFIG 0x01
#define CONFIG_VALUE 0x60       /* TMP105: 12-bit resolution */
#define REG_VALUE 0x00
#define SETTLE_MS 320           /* first conversion after configuring */
#define PERIOD_MS 1000
#define TOPIC "{topic}"

/* The register (big-endian, 12 bits left-justified) in the unit you publish. */
static int32_t convert(uint8_t msb, uint8_t lsb) {{
    int16_t raw = (int16_t)(uint16_t)((msb << 8) | lsb);
    return (int32_t)(raw / 16) * 625 / 10; /* millidegrees C */
}}

static int32_t format(int32_t v, char *out) {{
    char tmp[11];
    int32_t n = 0, len = 0, neg = v < 0;
    do {{
        tmp[n++] = (char)('0' + (neg ? -(v % 10) : v % 10));
        v /= 10;
    }} while (v != 0);
    if (neg) {{
        out[len++] = '-';
    }}
    while (n > 0) {{
        out[len++] = tmp[--n];
    }}
    return len;
}}

static int32_t open_sensor(void) {{
    int32_t dev = wm_i2c_open_str(DEVICE); /* WM_E_DENIED unless the manifest grants it */
    if (dev < 0) {{
        return dev;
    }}
    uint8_t cfg[2] = {{REG_CONFIG, CONFIG_VALUE}};
    int32_t rc = wm_i2c_write(dev, cfg, 2);   /* WM_E_NACK: nothing at that address */
    if (rc < 0) {{
        return rc;
    }}
    wm_sleep_ms(SETTLE_MS);
    return dev;
}}

static int32_t sample(int32_t dev, int32_t *out) {{
    uint8_t reg = REG_VALUE, raw[2];
    int32_t rc = wm_i2c_write_read(dev, &reg, 1, raw, 2);
    if (rc < 0) {{
        return rc;
    }}
    *out = convert(raw[0], raw[1]);
    return 0;
}}

/* The entry (manifest: entry = "run"): publish a reading every PERIOD_MS. */
__attribute__((export_name("run"))) int32_t run(void) {{
    int32_t dev = open_sensor();
    if (dev < 0) {{
        wm_log_str("{name}: cannot open " DEVICE);
        return dev;
    }}
    for (;;) {{
        int32_t v;
        if (sample(dev, &v) == 0) {{
            char text[12];
            int32_t n = format(v, text);
            wm_publish(TOPIC, wm_strlen(TOPIC), text, n);
            wm_log(text, n);
        }}
        wm_sleep_ms(PERIOD_MS);
    }}
}}

/* One reading on demand: wasmote run {name} --invoke read */
__attribute__((export_name("read"))) int32_t read(void) {{
    int32_t v, dev = open_sensor();
    if (dev < 0) {{
        return dev;
    }}
    int32_t rc = sample(dev, &v);
    return rc < 0 ? rc : v;
}}
"""

MANIFEST = """\
# What the device grants this driver ({api_doc}, "Peripherals"): its sensor alone, by
# the board's name (i2c:0/0x48 would grant it by bus and address; i2c:0/* the whole bus),
# the topic it publishes, its log and sleep. Any other device answers WM_E_DENIED.
name = "{name}"
version = "0.1.0"
entry = "run"
capabilities = ["i2c:temp0", "pubsub:{topic}", "log", "sleep"]

[limits]
memory = "64KiB"
stack = 4096
fuel = 20000
"""

README = """\
# {name}

An I2C sensor driver as a wasmote module: `main.c` (the driver), `wasmote.toml` (its
grants: the sensor, its topic, log, sleep), `build.sh`.

As generated it reads the board's `temp0`, a TMP105: on `wasmote sim` (QEMU, mps2) the
emulated part answers, and you set what it measures yourself:

```sh
./build.sh                                        # -> {name}.wasm, {name}.wmp
wasmote sim --background                          # last line: socket://127.0.0.1:PORT
wasmote push {name}.wmp --port socket://127.0.0.1:PORT
wasmote sim set temp0 temperature 23500           # millidegrees C, through QMP
wasmote run {name} --invoke read --port ...       # i32:23500
wasmote start {name} --port ... && wasmote logs --port ...
```

For another sensor: set `DEVICE` (a board name from {boards_dir}, or `"0/0xAA"`),
the register constants and `convert()`, and the grant in `wasmote.toml` (`i2c:NAME` or
`i2c:0/0xAA`). `wm_i2c_write_read` is one transaction (repeated START), so another
module on the same bus can never get between your register address and its data. Errors
are negative codes: `WM_E_NACK` (-12) nothing answered, `WM_E_DENIED` (-3) not granted,
`WM_E_TIMEOUT` (-7) the bus was held too long.
"""


def i2c_sensor_files(name: str, api_doc: str, boards_dir: str) -> dict[str, str]:
    """The project's files; the paths are this installation's (the project folder has no
    docs/ of its own)."""
    topic = "sensors/" + name.replace(".", "_")[:24]  # topics are at most 32 bytes
    fmt = {"name": name, "topic": topic, "api_doc": api_doc, "boards_dir": boards_dir}
    return {"main.c": MAIN_C.format(**fmt), "wasmote.toml": MANIFEST.format(**fmt),
            "README.md": README.format(**fmt)}
