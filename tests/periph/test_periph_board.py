"""Peripheral grants, board files and sim device options on the host (no QEMU): the
grammar, the boards' name tables and what the firmware gets of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wasmote import firmware, sim_devices
from wasmote.board_periph import parse_peripherals
from wasmote.boards import BoardError, list_boards, load_board
from wasmote.errors import UsageError
from wasmote.package.capabilities import parse_capability
from wasmote.package.errors import CapabilityError
from wasmote.package.peripherals import (
    PeripheralError,
    Target,
    argument_ok,
    granted,
    names_string,
    parse_names,
)
from wasmote.paths import FIRMWARE_DIR


@pytest.mark.parametrize("kind,arg,ok", [
    ("i2c", "0/0x48", True), ("i2c", "15/0x08", True), ("i2c", "0/0x77", True),
    ("i2c", "0/0x78", False), ("i2c", "0/0x07", False), ("i2c", "0/0x4A", False),
    ("i2c", "16/0x48", False), ("i2c", "01/0x48", False), ("i2c", "0/*", True),
    ("i2c", "temp0", True), ("i2c", "Temp0", False), ("spi", "0/15", True),
    ("spi", "0/16", False), ("spi", "adc0", True), ("uart", "aux", True),
    ("uart", "0", False), ("uart", "0/*", False), ("adc", "vin0", True), ("pwm", "x" * 33, False),
])
def test_argument_grammar(kind: str, arg: str, ok: bool) -> None:
    assert argument_ok(kind, arg) is ok
    if ok:
        assert str(parse_capability(f"{kind}:{arg}")) == f"{kind}:{arg}"
    else:
        with pytest.raises(CapabilityError, match=f"bad {kind} argument"):
            parse_capability(f"{kind}:{arg}")


def test_needs_an_argument() -> None:
    with pytest.raises(CapabilityError, match=r"needs an argument, e\.g\. i2c:0/0x48"):
        parse_capability("i2c")


def test_grants_resolve_names_on_the_board() -> None:
    names = parse_names({"temp0": "i2c:0/0x48", "aux": "uart:0"})
    t = Target("i2c", 0, 0x48)
    assert granted([("i2c", "temp0")], t, names)
    assert granted([("i2c", "0/*")], t, names)
    assert not granted([("i2c", "0/0x49"), ("spi", "0/0"), ("i2c", "1/*")], t, names)
    assert not granted([("i2c", "aux")], t, names)  # a name of another kind grants nothing
    assert names_string({"temp0": "i2c:0/0x48", "aux": "uart:0"}) == \
        "temp0=i2c:0/0x48,aux=uart:0"
    with pytest.raises(PeripheralError, match="temp0: bad target 'i2c:0/0x7f'"):
        parse_names({"temp0": "i2c:0/0x7f"})


def test_every_board_file_parses_and_names_what_it_has() -> None:
    for b in list_boards():
        p = b.peripherals
        for name, t in p.targets().items():
            assert t.kind in ("i2c", "spi", "uart", "adc", "pwm"), name
        if b.name in ("mps2-an385", "mps2-an386"):
            assert dict(p.names)["temp0"] == "i2c:0/0x48"
            assert sim_devices.aux_uarts(b) == [("aux", 1)]


@pytest.mark.parametrize("names,fragment", [
    ({"temp0": "i2c:1/0x48"}, "temp0: i2c:1/0x48 but the board has no i2c bus 1"),
    ({"dev": "spi:0/1"}, "dev: spi:0/1 but spi bus 0 has 1 chip select"),
    ({"aux": "uart:3"}, "aux: uart:3 but the board has no uart channel 3"),
    ({"9x": "uart:0"}, "bad name '9x'"),
])
def test_bad_board_names_are_refused(tmp_path: Path, names: dict[str, str],
                                     fragment: str) -> None:
    raw = json.loads(load_board("mps2-an386").path.read_text())
    raw["wasmote"]["peripherals"]["names"] = names
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    with pytest.raises(BoardError, match=fragment.replace("(", r"\(")):
        load_board("bad", tmp_path)
    with pytest.raises(PeripheralError, match="unknown key 'can'"):
        parse_peripherals({"can": []})


def test_firmware_carries_the_board_file_names() -> None:
    """The name table reaches the firmware from the board file (the builder's define)."""
    board = load_board("mps2-an386")
    elf = firmware.build(board.name).elf
    want = board.peripherals.names_string().encode() + b"\0"
    assert want in elf.read_bytes()


def test_sim_device_options() -> None:
    board = load_board("mps2-an386")
    specs = sim_devices.device_specs(board, ["tmp105,address=0x49,id=temp1",
                                             "tmp105,address=0x48,id=temp0,temperature=3"])
    assert specs[-2:] == ["tmp105,address=0x49,id=temp1",
                          "tmp105,address=0x48,id=temp0,temperature=3"]
    assert sum(sim_devices.device_id(s) == "temp0" for s in specs) == 1  # replaced
    for bad in ("tmp105 -monitor stdio", "tmp105,id=1x", "", ",address=1"):
        with pytest.raises(UsageError, match="bad --device"):
            sim_devices.device_specs(board, [bad])
    args = sim_devices.qemu_args(specs, Path("/tmp/q.qmp"),
                                 [sim_devices.AuxUart("aux", 1, 4444)], "127.0.0.1")
    assert args[-2:] == ["-qmp", "unix:/tmp/q.qmp,server=on,wait=off"]
    assert "tcp:127.0.0.1:4444,server=on,wait=off,nodelay=on" in args
    with pytest.raises(UsageError, match="bad device id"):
        sim_devices.qom_path("../x")


def _c_define(text: str, name: str) -> str:
    m = re.search(rf"#define {name}\s+(\S.*?)\s*(?:/\*.*)?$", text, re.MULTILINE)
    assert m, f"#define {name} not found"
    return m[1]


def _gpio(name: str) -> str:
    """'GPIO21' -> 'GPIO_NUM_21' (ESP-IDF's name)."""
    assert re.fullmatch(r"GPIO\d+", name), name
    return f"GPIO_NUM_{name[4:]}"


def test_real_board_ports_wire_what_their_board_files_say() -> None:
    """The STM32 and ESP32 ports cannot be built with their vendors' platforms here: their
    constants (names, clocks, pins, channels, interrupt) are held to the board files."""
    port = FIRMWARE_DIR / "src" / "port"
    stm = load_board("nucleo_l476rg").peripherals
    c = (port / "stm32" / "stm32_periph.c").read_text()
    regs = (port / "stm32" / "stm32l4_regs.h").read_text()
    assert _c_define(c, "WM_PERIPH_NAMES") == f'"{stm.names_string()}"'
    assert _c_define(c, "WM_I2C_HZ") == f"{stm.i2c[0].int('hz')}u"
    assert _c_define(c, "WM_SPI_HZ") == f"{stm.spi[0].int('hz')}u"
    assert int(_c_define(c, "WM_CLOCK_HZ").rstrip("u")) // 32 == stm.spi[0].int("hz")
    assert _c_define(c, "WM_AUX_BAUD") == f"{stm.uart[0].int('baud')}u"
    assert _c_define(regs, "WM_USART1_IRQ") == f"{stm.uart[0].int('rx_irq')}u"
    assert _c_define(c, "WM_PWM_MAX_HZ") == f"{stm.pwm[0].int('max_hz')}u"
    channels = re.search(r"wm_adc_channels\[\] = \{([^}]*)\}", c)
    assert channels and [int(x.strip().rstrip("u")) for x in channels[1].split(",")] == \
        [a.int("channel") for a in stm.adc]
    # the pins the code drives (its alternate-function table and the chip select)
    used = {(f"P{p}", int(n)) for p, n in
            re.findall(r"\{WM_GPIO([A-H])_BASE, (\d+), \d+, (?:true|false)\}", c)}
    used.add(("PB", int(_c_define(c, "WM_SPI_CS0_PIN").rstrip("u"))))
    fields = [u.fields for kind in ("i2c", "spi", "uart", "pwm") for u in stm.units(kind)]
    pins = [f[k] for f in fields for k in ("scl", "sda", "sck", "miso", "mosi", "tx", "rx",
                                           "pin") if k in f]
    pins += [p for f in fields for p in f.get("cs_pins", [])]
    assert used == {(p[:2], int(p[2:])) for p in pins}
    esp = load_board("esp32dev").peripherals
    e = (port / "esp32" / "esp32_periph.c").read_text()
    assert _c_define(e, "WM_PERIPH_NAMES") == f'"{esp.names_string()}"'
    for key, define in (("sda", "WM_I2C_SDA"), ("scl", "WM_I2C_SCL")):
        assert _c_define(e, define) == _gpio(esp.i2c[0].fields[key])
    for key, define in (("sck", "WM_SPI_SCK"), ("miso", "WM_SPI_MISO"), ("mosi", "WM_SPI_MOSI")):
        assert _c_define(e, define) == _gpio(esp.spi[0].fields[key])
    assert _c_define(e, "WM_SPI_CS0") == _gpio(esp.spi[0].fields["cs_pins"][0])
    assert _c_define(e, "WM_AUX_UART") == f"UART_NUM_{esp.uart[0].int('port')}"
    assert _c_define(e, "WM_AUX_TX") == _gpio(esp.uart[0].fields["tx"])
    assert _c_define(e, "WM_AUX_RX") == _gpio(esp.uart[0].fields["rx"])
    assert _c_define(e, "WM_PWM_GPIO") == _gpio(esp.pwm[0].fields["pin"])
    assert _c_define(e, "WM_PWM_MAX_HZ") == f"{esp.pwm[0].int('max_hz')}u"
    assert _c_define(e, "WM_I2C_HZ") == f"{esp.i2c[0].int('hz')}u"
    assert _c_define(e, "WM_SPI_HZ") == f"{esp.spi[0].int('hz')}u"
    assert re.findall(r"ADC_CHANNEL_(\d)", e) == [str(a.int("channel")) for a in esp.adc]
