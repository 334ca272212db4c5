"""Sensor drivers as modules, end to end on mps2-an386 under QEMU with its emulated parts
(QEMU's tmp105, at24c-eeprom, dps310 and max1111 models behind the SBCon I2C and PL022 SPI
controllers), through `wasmote push`, `run`, `logs` and `sim set`."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from tests.cli_invoke import run_cli
from tests.sandbox.sandbox_support import package
from wasmote import sim
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.package.capabilities import ERROR_CODES
from wasmote.qmp import QmpClient

pytestmark = pytest.mark.qemu
RESOLUTION_MC = 62.5  # the TMP105's 12-bit step, millidegrees


def cli(*args: str) -> str:
    r = run_cli(*args)
    assert r.exit_code == 0, r.output
    return r.output


def result(out: str) -> int:
    """The last line of `wasmote run`: i32:VALUE."""
    m = re.fullmatch(r"i32:(-?\d+)", out.strip().splitlines()[-1])
    assert m, out
    return int(m[1])


def wait_logs(url: str, pattern: str, timeout: float = 20.0) -> list[str]:
    """`wasmote logs` until a line matches (the driver logs once per period)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = cli("logs", "--port", url).splitlines()
        hits = [ln for ln in lines if re.search(pattern, ln)]
        if hits or time.monotonic() > deadline:
            assert hits, (pattern, lines[-10:])
            return hits
        time.sleep(0.2)


def test_tmp105_reports_what_qmp_sets(board: sim.Sim, packages: dict[str, Path]) -> None:
    url = board.url
    cli("push", str(packages["tmp105"]), "--port", url)     # autostarts: reads, publishes
    for milli in (21500, -7250, 36125):  # the first two by the CLI (a negative one too)
        if milli < 30000:                                       # `wasmote sim set`...
            cli("sim", "set", "temp0", "temperature", str(milli), "--port", url)
            assert cli("sim", "get", "temp0", "temperature", "--port", url).strip() == \
                str(milli)
        else:                                                   # ...or QMP from a library
            with QmpClient(board.qmp) as q:
                q.qom_set("/machine/peripheral/temp0", "temperature", milli)
        sign, whole, frac = "-" if milli < 0 else "", abs(milli) // 1000, abs(milli) % 1000
        wait_logs(url, rf"tmp105: {sign}{whole}\.{frac:03d} C")  # the running driver
        read = result(cli("run", "tmp105", "--invoke", "read", "--port", url))
        assert abs(read - milli) < RESOLUTION_MC, (read, milli)  # one conversion on demand
    assert re.search(r"tmp105\s+sleeping|tmp105\s+ready", cli("ls", "--port", url))


def test_denied_address_and_ungranted_import(board: sim.Sim, packages: dict[str, Path],
                                              tmp_path: Path) -> None:
    url = board.url
    wasm = packages["periph.wasm"].read_bytes()
    caps = ["spi:adc0", "uart:aux", "adc:vin0", "pwm:led1"]
    granted = tmp_path / "g.wmp"
    granted.write_bytes(package(wasm, "g", ["i2c:0/0x48", *caps]))
    cli("push", str(granted), "--port", url)
    # 0x48 is its own: 21.5 C at the default 9-bit resolution; 0x50 (the EEPROM) is denied
    with QmpClient(board.qmp) as q:
        q.qom_set("/machine/peripheral/temp0", "temperature", 21500)
    assert result(cli("run", "g", "--invoke", "open_temp", str(0x100), "6", "--port",
                      url)) == 0x1580
    assert result(cli("run", "g", "--invoke", "open_temp", str(0x110), "6", "--port",
                      url)) == ERROR_CODES["WM_E_DENIED"]
    # no i2c grant at all: refused at install, naming the import (the host's check skipped,
    # so this is the device's own refusal)
    bare = tmp_path / "bare.wmp"
    bare.write_bytes(package(wasm, "bare", caps))
    r = run_cli("push", str(bare), "--no-host-check", "--port", url)
    assert r.exit_code == 1
    assert "import wasmote.i2c_open (i32, i32) -> (i32): not granted by the manifest " \
           "(needs capability i2c:BUS/ADDR or i2c:NAME)" in r.output, r.output
    assert "bare" not in cli("ls", "--port", url)


def test_two_drivers_share_the_bus_with_a_flooder(board: sim.Sim,
                                                   packages: dict[str, Path]) -> None:
    """The sensor driver and the EEPROM logger share I2C bus 0 with a hostile module that
    floods the bus with transactions to its own device. Bounded by events, not time: until
    the logger has stored 40 readings. Every reading is the temperature QMP set (a torn or
    interleaved transaction would read another register or 0xFF), every record in the
    EEPROM is whole and in sequence, the flooder's own reads never differ, its probes of
    its neighbours stay denied, and the console answers throughout."""
    url = board.url
    with QmpClient(board.qmp) as q:
        q.qom_set("/machine/peripheral/temp0", "temperature", 23456)  # reads 23.437
    cli("push", str(packages["flooder"]), "--port", url)
    cli("start", "flooder", "--port", url)
    cli("push", str(packages["eeprom_logger"]), "--port", url)
    cli("push", str(packages["tmp105"]), "--port", url)
    answered = 0
    deadline = time.monotonic() + 120
    # each count is a RUN of the logger's export: 8 more transactions on the shared bus
    while result(cli("run", "eeprom_logger", "--invoke", "count", "--port", url)) < 40:
        assert time.monotonic() < deadline, cli("logs", "--port", url)[-2000:]
        listing = cli("ls", "--port", url)  # the console is never starved
        assert "trapped" not in listing and "stopped" not in listing, listing
        answered += 1
        time.sleep(0.5)
    assert answered > 0
    logs = cli("logs", "--port", url)
    # the log ring is shared (the flooder's lines evict the others): what it still holds...
    readings = re.findall(r"tmp105: (-?\d+\.\d+) C", logs)
    assert readings and set(readings) == {"23.437"}, readings
    assert "append failed" not in logs and "read failed" not in logs, logs[-2000:]
    floods = re.findall(r"flood: ok (\d+) bad (\d+) denied (\d+)", logs)
    assert floods, logs[-2000:]
    ok, bad, denied = map(int, floods[-1])
    assert ok >= 256 and bad == 0 and denied > 0, floods[-1]
    # ...and every reading stored, each read and written by whole transactions
    assert result(cli("run", "eeprom_logger", "--invoke", "differ", "23437", "--port",
                      url)) == 0
    assert result(cli("run", "eeprom_logger", "--invoke", "gaps", "--port", url)) == 0
    assert result(cli("run", "eeprom_logger", "--invoke", "last", "--port", url)) == 23437
    assert result(cli("run", "eeprom_logger", "--invoke", "count", "--port", url)) >= 40
    c = DeviceClient(SerialTransport(url), timeout=3.0)
    try:
        states = {m.name: m.state for m in c.modules()}
    finally:
        c.transport.close()
    assert states["flooder"] == "ready" and states["eeprom_logger"] in ("waiting", "ready")


def test_spi_adc_uart_and_pwm(board: sim.Sim, packages: dict[str, Path],
                              tmp_path: Path) -> None:
    """The MAX1111 on the PL022 as two ADC channels and as an SPI device, the second CMSDK
    UART echoed by a module that sleeps in uart_read, and the software PWM on the timer
    blinking an FPGA LED."""
    url = board.url
    pkg = tmp_path / "p.wmp"
    pkg.write_bytes(package(packages["periph.wasm"].read_bytes(), "p",
                            ["i2c:temp0", "spi:adc0", "uart:aux", "adc:vin0", "adc:vin1",
                             "pwm:led1"], entry="pwm_echo", fuel=100_000))
    cli("push", str(pkg), "--port", url)
    # QEMU's max1111 inputs 0 and 1 default to 0xf0 and 0xe0
    assert result(cli("run", "p", "--invoke", "open_adc", str(0x140), "4", "--port", url)) \
        == 0xF0
    assert result(cli("run", "p", "--invoke", "open_adc", str(0x148), "4", "--port", url)) \
        == 0xE0
    # the same chip through spi_transfer: START | channel 1 (SEL2) | unipolar single-ended
    assert result(cli("run", "p", "--invoke", "open_spi_adc", str(0x150), "4",
                      str(0x80 | 0x40 | 0x0F), "--port", url)) == 0xE0
    cli("start", "p", "--port", url)
    with socket.create_connection(("127.0.0.1", board.aux["aux"]), timeout=10) as s:
        s.sendall(b"ping over the aux uart\n")
        got = b""
        while not got.endswith(b"\n"):
            chunk = s.recv(64)
            assert chunk, got
            got += chunk
    assert got == b"ping over the aux uart\n"
    leds = tmp_path / "leds.log"
    deadline = time.monotonic() + 20
    while True:  # 5 Hz, 50 %: a change every 100 ms of the emulated clock
        changes = [ln for ln in leds.read_text().splitlines() if "'USERLED1'" in ln]
        if len(changes) >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(changes) >= 6, changes


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v & (1 << (bits - 1)) else v


def datasheet_pressure(coef: bytes, p_raw: int, t_raw: int) -> tuple[float, float]:
    """Infineon DPS310 datasheet, 4.9.1 and 8.11, single oversampling (kP = kT = 524288)."""
    r = coef
    c0 = _signed(r[0] << 4 | r[1] >> 4, 12)
    c1 = _signed((r[1] & 0xF) << 8 | r[2], 12)
    c00 = _signed(r[3] << 12 | r[4] << 4 | r[5] >> 4, 20)
    c10 = _signed((r[5] & 0xF) << 16 | r[6] << 8 | r[7], 20)
    c01, c11, c20, c21, c30 = (_signed(r[i] << 8 | r[i + 1], 16) for i in range(8, 18, 2))
    p, t = p_raw / 524288, t_raw / 524288
    pa = c00 + p * (c10 + p * (c20 + p * c30)) + t * c01 + t * p * (c11 + p * c21)
    return pa, (c0 * 0.5 + c1 * t) * 1000


def test_dps310_compensates_as_the_datasheet_says(board: sim.Sim,
                                                  packages: dict[str, Path]) -> None:
    url = board.url
    cli("push", str(packages["dps310"]), "--port", url)
    regs = b"".join(result(cli("run", "dps310", "--invoke", "reg4", str(r), "--port", url))
                    .to_bytes(4, "big", signed=True) for r in range(0x00, 0x24, 4))
    p_raw = _signed(int.from_bytes(regs[0:3], "big"), 24)
    t_raw = _signed(int.from_bytes(regs[3:6], "big"), 24)
    pa, mc = datasheet_pressure(regs[0x10:0x22], p_raw, t_raw)
    assert 30000 < pa < 110000, pa  # a pressure somewhere on Earth
    assert result(cli("run", "dps310", "--invoke", "pressure", "--port", url)) == round(pa)
    assert result(cli("run", "dps310", "--invoke", "temperature", "--port", url)) == round(mc)


def test_sim_cli_attaches_another_part(packages: dict[str, Path], tmp_path: Path) -> None:
    """`wasmote sim --device` adds a part beside the board's; `sim set` drives it."""
    r = run_cli("sim", "--background", "--device", "tmp105,address=0x49,id=temp1")
    assert r.exit_code == 0, r.output
    url = r.output.strip().splitlines()[-1]
    assert re.search(r"uart aux: socket://127\.0\.0\.1:\d+", r.output), r.output
    try:
        cli("sim", "set", "temp1", "temperature", "30000", "--port", url)
        pkg = tmp_path / "q.wmp"
        pkg.write_bytes(package(packages["periph.wasm"].read_bytes(), "q",
                                ["i2c:0/0x49", "spi:adc0", "uart:aux", "adc:vin0",
                                 "pwm:led1"]))
        cli("push", str(pkg), "--port", url)
        assert result(cli("run", "q", "--invoke", "open_temp", str(0x168), "6", "--port",
                          url)) == 0x1E00  # 30 C at 9 bits, from the new part at 0x49
        assert result(cli("run", "q", "--invoke", "open_temp", str(0x100), "6", "--port",
                          url)) == ERROR_CODES["WM_E_DENIED"]  # the board's own at 0x48
    finally:
        assert run_cli("sim", "stop", url).exit_code == 0
