"""Device text never reaches the terminal raw, and one module can neither forge another's
log lines nor evict them (issue 14, item 8)."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

from click.testing import CliRunner

import wasmote.cli.device_cmds  # noqa: F401  (registers the commands)
from tests.campaigns.hostile_device import Answer, HostileDevice
from tests.harness.posix_device import PosixDevice
from wasmote.cli import main
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.terminal_text import escape_controls

WAT = Path(__file__).resolve().parent / "wat"
HOSTILE = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\ncalc: forged line\x9b\x7f\u202e"
# what a terminal may see instead: every control visible, nothing else changed
SHOWN = r"\x1b]52;c;ZXZpbA==\x07\x1b[2J\x0d\x0acalc: forged line\x9b\x7f\u202e"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]")  # anything but newline


def wasm(name: str, tmp: Path) -> bytes:
    out = tmp / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(WAT / f"{name}.wat"), "-o", str(out)], check=True)
    return out.read_bytes()


def cli(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.output


def test_escape_controls_shows_every_control_and_keeps_text() -> None:
    assert escape_controls(HOSTILE) == SHOWN
    text = "temp 21.5 °C, ünïcödé, tab-free; back\\slash"
    assert escape_controls(text) == text
    every = "".join(map(chr, range(0x100))) + "\u2028\u2066\u2069"
    assert not RAW.search(escape_controls(every).replace("\n", ""))


def test_cli_prints_device_text_escaped(device: PosixDevice, tmp_path: Path) -> None:
    c = DeviceClient(SerialTransport(device.url))
    c.push("shouter", wasm("shouter", tmp_path))
    c.push("calc", wasm("shouter", tmp_path))  # a module the forged line pretends to be
    c.transport.close()  # a new connection replaces the old one: the CLI's turn
    link = ["--port", device.url]
    outputs = {
        "run": cli("run", "shouter", "--invoke", "shout", *link),
        "start -f": cli("start", "-f", "shouter", *link),
        "logs": cli("logs", *link),
    }
    for what, (code, out) in outputs.items():
        assert code == 0, (what, out)
        assert not RAW.search(out), (what, out)
        assert SHOWN in out, (what, out)
        assert not any(line.startswith("calc: forged") for line in out.splitlines()), what
    # logs -f prints each event through Event.render
    c = DeviceClient(SerialTransport(device.url))
    c.start("shouter")
    ev = c.wait_event(10.0)
    while ev is not None and ev.kind != p.Msg.EV_LOG:
        ev = c.wait_event(10.0)
    assert ev is not None and ev.render() == f"shouter: {SHOWN}"
    c.transport.close()


def test_log_ring_entries_are_whole_and_fairly_shared(device: PosixDevice,
                                                      tmp_path: Path) -> None:
    """A module's text can hold newlines and other names; LOGS keeps each line as its own
    entry. A module flooding the log evicts others' lines only until it holds half the
    ring, so their most recent lines survive (up to half the ring less one line)."""
    c = DeviceClient(SerialTransport(device.url))
    c.push("shouter", wasm("shouter", tmp_path))
    c.push("quiet", wasm("shouter", tmp_path))
    for _ in range(12):  # 12 entries of 52 bytes: more than half the 1 KiB ring
        c.run("quiet", "shout", [])
    c.run("shouter", "flood", [p.WireValue("i32", 200)])
    lines = c.log_lines()
    flood = [ln for ln in lines if ln.module == "shouter"]
    assert flood and all(ln.text == "flood " * 7 + "flood" for ln in flood)
    # the flood (56-byte entries) evicts quiet's lines only until it holds >= 512 bytes
    assert lines.count(p.LogLine("quiet", HOSTILE)) == (1024 - 56 * 10) // 52
    assert "quiet: " + SHOWN in c.logs().splitlines()
    c.transport.close()


def test_info_ls_and_errors_from_a_hostile_device_are_escaped() -> None:
    liar = HostileDevice()
    try:
        info = (struct.pack("<BBHIIIIIHH", 1, 0, 1024, 1068, 0, 0, 0, p.FEAT_SANDBOX, 0, 8)
                + p.str8("fw\x1b[31m") + p.str8("board\x07")
                + bytes([1]) + bytes(4) + bytes(1) + bytes(2) + bytes(2) + bytes(2)
                + bytes(4) + bytes(1) + p.str8("note\x1b]0;title\x07"))
        liar.script([Answer("answer", 0, info)])
        code, out = cli("info", "--port", liar.url, "--timeout", "0.5")
        assert code == 0 and not RAW.search(out) and r"fw\x1b[31m" in out, out
        entry = (bytes(12) + bytes(32) + p.str8("m\x1b[2J") + bytes([7, 0]) + bytes(6)
                 + bytes(4 * 2 + 2 + 4 * 2) + p.str8("trap \x1b]52;c;eA==\x07"))
        liar.script([Answer("answer", 0, (1).to_bytes(2, "little") + bytes([1]) + entry)])
        code, out = cli("ls", "--port", liar.url, "--timeout", "0.5")
        assert code == 0 and not RAW.search(out) and r"m\x1b[2J" in out, out
        liar.script([Answer("answer", p.Status.NOT_FOUND, b"no such \x1b[2Jmodule\nforged")])
        code, out = cli("rm", "x", "--port", liar.url, "--timeout", "0.5")
        assert code != 0 and not RAW.search(out) and len(out.splitlines()) == 1, out
    finally:
        liar.close()
