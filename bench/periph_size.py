"""Flash cost of the peripheral layer (I2C, SPI, UART, ADC, PWM for modules) on a
Cortex-M4.

Two measures in one run:
- linked: what the layer's objects put into the mps2-an386 firmware image after
  --gc-sections, read from the linker map (sections per input object), against the whole
  image's text (`arm-none-eabi-size`) as the reference;
- objects: `arm-none-eabi-size` of the portable objects compiled alone for Cortex-M4 (-Os,
  the firmware's flags): an upper bound, the same for every port.

    python -m bench.periph_size
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from wasmote import firmware, posix_build

# portable (every port) and the mps2 port's own drivers
LAYER = ("core/periph/i2c_bitbang.o", "core/sandbox/periph_api.o",
         "core/sandbox/periph_target.o", "port/mps2/mps2_periph.o")
_SECTION = re.compile(r"^ (\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+\.o)$")


def linked_sizes(map_file: Path) -> dict[str, dict[str, int]]:
    """object -> {text, rodata, data, bss} bytes linked into the image."""
    text = map_file.read_text()
    text = text[text.index("Linker script and memory map"):]
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pending = ""
    for line in text.splitlines():
        if re.fullmatch(r" \.\S+", line):  # a long section name: the numbers follow
            pending = line.strip()
            continue
        m = _SECTION.match(line)
        name, pending = (m[1] if m and m[1] else pending), ""
        if not m or not name:
            continue
        obj = next((o for o in LAYER if m[3].endswith(o)), None)
        if obj is None:
            continue
        kind = next((k for k in ("rodata", "text", "data", "bss") if name.startswith(f".{k}")),
                    None)
        if kind:
            out[obj][kind] += int(m[2], 16)
    return out


def main() -> None:
    result = firmware.build("mps2-an386")
    sizes = linked_sizes(result.elf.parent / "firmware.map")
    print(f"linked into {result.elf} (mps2-an386, -Os, --gc-sections)")
    print(f"{'object':<34}{'text':>7}{'rodata':>8}{'data':>6}{'bss':>6}")
    total = 0
    for obj in LAYER:
        s = sizes.get(obj, {})
        flash = s.get("text", 0) + s.get("rodata", 0) + s.get("data", 0)
        total += flash
        print(f"{obj:<34}{s.get('text', 0):>7}{s.get('rodata', 0):>8}{s.get('data', 0):>6}"
              f"{s.get('bss', 0):>6}")
    image = result.sizes.text + result.sizes.data
    print(f"{'layer flash (text+rodata+data)':<34}{total:>7}   = {100 * total / image:.1f} % "
          f"of the image's {image} bytes")
    print()
    objs = posix_build.arm_core_size(["periph", "sandbox"])
    print("objects alone (portable part, cortex-m4 -Os):")
    print(f"{'object':<34}{'text':>7}{'data':>6}{'bss':>6}")
    for o in objs.objects:
        if "periph" in o.name or "bitbang" in o.name:
            name = o.name.rsplit("__", 1)[-1]
            print(f"{name:<34}{o.text:>7}{o.data:>6}{o.bss:>6}")


if __name__ == "__main__":
    main()
