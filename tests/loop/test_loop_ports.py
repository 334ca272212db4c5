"""`wasmote ports` prints each USB serial device's description, which is the device's own
USB product string: a hostile device can put escape sequences in it (the kernel passes
them on). It was printed raw; now escaped where it enters (device/ports.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from wasmote.cli import main

HOSTILE = "Board\x1b]0;owned\x07\x1b[2J\u202e"


def test_a_usb_product_string_is_printed_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    import serial.tools.list_ports

    from wasmote.device import ports

    port = SimpleNamespace(device="/dev/ttyACM7", vid=0x0483, pid=0x5740, description=HOSTILE)
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [port])
    monkeypatch.setattr(ports, "sim_ports", lambda: [])
    r = CliRunner().invoke(main, ["ports"])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\u202e" not in r.output and "\x07" not in r.output
    assert r"Board\x1b]0;owned\x07\x1b[2J\u202e [0483:5740]" in r.output
