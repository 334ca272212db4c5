"""Peripheral grants, board files and sim device options on the host (no QEMU): the
grammar, the boards' name tables and what the firmware gets of them."""

from __future__ import annotations

import json
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
