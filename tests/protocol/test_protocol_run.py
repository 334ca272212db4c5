"""RUN on the posix device: the runtime core loads modules from the store in place."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import wasmote.cli.device_cmds  # noqa: F401  (registers the commands)
from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import held, image, logs_with, sha
from wasmote.cli import main
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError, DeviceRefused
from wasmote.device.transport import SerialTransport

WAT = Path(__file__).resolve().parent / "wat"


def wasm(name: str, tmp: Path) -> bytes:
    out = tmp / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(WAT / f"{name}.wat"), "-o", str(out)], check=True)
    return out.read_bytes()


@pytest.fixture
def small_fuel_device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    with PosixDevice(tmp_path / "flash.bin", variant="asan", fuel=200_000) as dev:
        yield dev


def i32(v: int) -> p.WireValue:
    return p.WireValue("i32", v & 0xFFFFFFFF)


def test_run_calls_exports_and_returns_results(small_fuel_device: PosixDevice,
                                               tmp_path: Path) -> None:
    c = DeviceClient(SerialTransport(small_fuel_device.url))
    c.push("calc", wasm("calc", tmp_path))
    assert c.info().feature_names().count("run") == 1
    assert c.run("calc", "add", [i32(2), i32(-5)]) == [i32(-3)]
    f64 = struct.unpack("<Q", struct.pack("<d", 0.1))[0]
    f32 = struct.unpack("<I", struct.pack("<f", -1.5))[0]
    got = c.run("calc", "mix", [p.WireValue("i64", 1 << 40), p.WireValue("f64", f64),
                                p.WireValue("f32", f32)])
    assert got == [p.WireValue("f32", f32), p.WireValue("f64", f64),
                   p.WireValue("i64", 1 << 40)]
    c.events.clear()
    assert c.run("calc", "hello", []) == [i32(7)]
    assert [(e.kind, e.module, e.text) for e in c.events] == [
        (p.Msg.EV_LOG, "calc", "hello from calc")]
    errors = {}
    for export, args in (("boom", []), ("spin", []), ("nope", []), ("add", [i32(1)])):
        with pytest.raises(DeviceRefused) as e:
            c.run("calc", export, args)
        errors[export] = (e.value.status, e.value.message)
    assert errors["boom"][0] == p.Status.TRAP and "unreachable" in errors["boom"][1]
    assert errors["spin"] == (p.Status.TRAP, "out of fuel (the call ran too long)")
    assert errors["nope"] == (p.Status.NOT_FOUND, "no exported function 'nope'; exports: add, "
                                                  "mix, hello, boom, spin, _start")
    assert errors["add"] == (p.Status.BAD_ARGS, "add takes (i32, i32)")
    assert c.run("calc", "add", [i32(40), i32(2)]) == [i32(42)]  # still fine after traps
    c.transport.close()


def test_invalid_module_is_refused_at_commit_and_old_one_kept(client: DeviceClient,
                                                              tmp_path: Path) -> None:
    good = wasm("calc", tmp_path)
    client.push("calc", good)
    bad = good[:-3]  # truncated: the loader reports where it ends
    with pytest.raises(DeviceRefused) as e:
        client.push("calc", bad)
    assert e.value.status == p.Status.INVALID_MODULE
    assert e.value.message.startswith("invalid module at 0x")
    assert held(client) == {"calc": sha(good)}
    with pytest.raises(DeviceRefused):
        client.push("junk", b"\0asm\1\0\0\0\x01\x05garbage")
    assert held(client) == {"calc": sha(good)}


def test_autostart_runs_at_boot_and_a_trapping_module_does_not_brick(
        device: PosixDevice, tmp_path: Path) -> None:
    c = DeviceClient(SerialTransport(device.url))
    c.push("calc", wasm("calc", tmp_path), autostart=True)
    c.push("bad_boot", wasm("bad_boot", tmp_path), autostart=True)
    c.push("idle", image(2000, 1))
    c.reset()
    logs = logs_with(c, "bad_boot: trap: unreachable", "calc: hello from calc")
    assert "idle" not in logs
    c.transport.close()
    device.kill()  # a power cycle: the same at boot
    device.start()
    c = DeviceClient(SerialTransport(device.url))
    # both lines: the two start at boot and run in their own order, so bad_boot's trap
    # does not say calc has had its slice (and exited) yet
    logs_with(c, "bad_boot: trap: unreachable", "calc: hello from calc")
    assert c.run("calc", "add", [i32(1), i32(1)]) == [i32(2)]
    states = {m.name: m.state for m in c.modules()}
    assert states == {"calc": "exited", "bad_boot": "trapped", "idle": "idle"}
    c.transport.close()


def test_cli_run_prints_results_and_traps(small_fuel_device: PosixDevice,
                                          tmp_path: Path) -> None:
    port = ["--port", small_fuel_device.url]
    mod = tmp_path / "calc.wasm"
    mod.write_bytes(wasm("calc", tmp_path))
    r = CliRunner().invoke(main, ["push", str(mod), *port])
    assert r.exit_code == 0, r.stderr
    r = CliRunner().invoke(main, ["run", "calc", "--invoke", "add", "i32:-2", "7", *port])
    assert (r.exit_code, r.stdout) == (0, "i32:5\n")
    r = CliRunner().invoke(main, ["run", "calc", "--invoke", "hello", *port])
    assert (r.exit_code, r.stdout) == (0, "hello from calc\ni32:7\n")
    r = CliRunner().invoke(main, ["run", "calc", "--invoke", "boom", *port])
    assert r.exit_code == 2 and r.stderr.startswith("trap: ") and "unreachable" in r.stderr
    ticker = tmp_path / "ticker.wasm"
    ticker.write_bytes(wasm("ticker", tmp_path))
    assert CliRunner().invoke(main, ["push", str(ticker), *port]).exit_code == 0
    r = CliRunner().invoke(main, ["start", "ticker", "-f", *port])
    assert (r.exit_code, r.stdout) == (0, "started ticker\n" + "tick\n" * 5 + "exit\n")
    r = CliRunner().invoke(main, ["stop", "ticker", *port])
    assert r.exit_code == 1 and "ticker is not running" in r.stderr


def test_killed_mid_replace_the_old_module_still_runs(device: PosixDevice,
                                                     tmp_path: Path) -> None:
    old = wasm("calc", tmp_path)
    # the same code plus 60 KB of custom section: a different, larger valid module
    pad = image(60_000, 21)[8:]
    new = old + pad
    c = DeviceClient(SerialTransport(device.url))
    c.push("calc", old)

    def pull_the_plug(acked: int, size: int) -> None:
        if acked > 30_000 and device.alive():
            device.kill()

    with pytest.raises(DeviceError):
        c.push("calc", new, progress=pull_the_plug)
    c.transport.close()
    device.start()
    c = DeviceClient(SerialTransport(device.url))
    assert held(c) == {"calc": sha(old)}
    assert c.run("calc", "add", [i32(3), i32(4)]) == [i32(7)]
    c.push("calc", new)
    assert held(c) == {"calc": sha(new)}
    assert c.run("calc", "add", [i32(3), i32(5)]) == [i32(8)]
    c.transport.close()


def _events_until(c: DeviceClient, kind: p.Msg, timeout: float = 20.0) -> list[p.Event]:
    seen: list[p.Event] = []
    while (ev := c.wait_event(timeout)) is not None:
        seen.append(ev)
        if ev.kind == kind:
            return seen
    raise AssertionError(f"no {kind.name} event; saw {seen}")


def test_start_runs_in_the_background_and_stop_ends_it(device: PosixDevice,
                                                       tmp_path: Path) -> None:
    c = DeviceClient(SerialTransport(device.url))
    c.push("ticker", wasm("ticker", tmp_path))
    c.push("forever", wasm("forever", tmp_path))
    c.push("calc", wasm("calc", tmp_path))
    c.start("ticker")
    seen = _events_until(c, p.Msg.EV_EXIT)
    assert [(e.kind, e.text) for e in seen] == [(p.Msg.EV_LOG, "tick")] * 5 + [
        (p.Msg.EV_EXIT, "exit")]
    c.start("forever")
    with pytest.raises(DeviceRefused) as e:
        c.start("forever")
    assert e.value.status == p.Status.BUSY and "forever is running" in e.value.message
    assert c.run("calc", "add", [i32(1), i32(2)]) == [i32(3)]  # RUN works meanwhile
    c.events.clear()
    c.stop("forever")
    assert _events_until(c, p.Msg.EV_EXIT)[-1].text == "stopped"
    with pytest.raises(DeviceRefused) as e:
        c.stop("forever")
    assert e.value.status == p.Status.NOT_FOUND
    # a push of another module leaves a running one alone; replacing it restarts it
    c.start("forever")
    c.events.clear()
    c.push("other", image(3000, 5))
    assert [m.state for m in c.modules() if m.name == "forever"] == ["ready"]
    c.push("forever", wasm("forever", tmp_path) + b"\0\x01\x00")  # same code, new bytes
    assert _events_until(c, p.Msg.EV_EXIT)[-1].text == "stopped: replaced by a new version"
    assert [m.state for m in c.modules() if m.name == "forever"] == ["ready"]
    c.transport.close()


def raw_run(c: DeviceClient, export: str, args: list[tuple[int, int]]) -> p.Frame:
    """A RUN whose value types the codec would refuse to send."""
    body = p.str8("refs") + p.str8(export) + bytes([len(args)])
    body += b"".join(struct.pack("<BQ", t, bits) for t, bits in args)
    return c.request(p.Msg.RUN, body)


def test_run_never_turns_wire_bits_into_a_reference(client: DeviceClient,
                                                    tmp_path: Path) -> None:
    """Issue 14, item 1: a funcref argument from the wire used to reach call_indirect as a
    raw wm_func pointer (code execution on the board). References are refused at the
    protocol, and an export with a reference parameter or result is refused by RUN."""
    client.push("refs", wasm("refs", tmp_path))
    forged = 0x4141414141414141
    with pytest.raises(DeviceRefused) as e:
        raw_run(client, "callref", [(0x70, forged)])
    assert e.value.status == p.Status.BAD_ARGS and "references" in e.value.message
    with pytest.raises(DeviceRefused) as e:
        raw_run(client, "ext", [(0x6F, forged)])
    assert e.value.status == p.Status.BAD_ARGS
    # an i64 whose bits are an address does not become a funcref either
    with pytest.raises(DeviceRefused) as e:
        raw_run(client, "callref", [(0x7E, forged)])
    assert e.value.message == ("callref takes a funcref: only i32, i64, f32 and f64 cross "
                               "the wire (RUN)")
    with pytest.raises(DeviceRefused) as e:
        raw_run(client, "own", [])
    assert e.value.message.startswith("own returns a funcref")
    assert client.info().firmware_version  # the device is alive and answering
