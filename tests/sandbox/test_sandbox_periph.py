"""Peripherals in the device-side sandbox (core/sandbox/periph_*.c), against the posix
port's SIMULATED parts (port/posix/sim_periph.c: a TMP105 and an AT24C32 answering on a
line-level I2C bus driven by the real bit-bang master, an SPI ADC, a UART loopback, PWM).

One harness process is one device; tests/sandbox/periph/periph.wat passes every
peripheral host function through, so the tests call them with any argument a hostile
module could pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.sandbox.sandbox_support import Device, package
from wasmote.device.protocol import Status
from wasmote.package.build import module_func_imports
from wasmote.package.capabilities import ERROR_CODES, Capability, CapKind, check_imports
from wasmote.package.container import Package
from wasmote.package.errors import CapabilityError
from wasmote.package.manifest import Limits, Manifest, Version
from wasmote.package.peripherals import argument_ok
from wasmote.wasm.reader import read_module

HERE = Path(__file__).resolve().parent
E = {name.removeprefix("WM_E_"): code for name, code in ERROR_CODES.items()}
# data segment of periph.wat; SCRATCH is free memory for the tests' own strings
S_48, S_50, S_TEMP0, S_EEPROM0, SCRATCH = 0x100, 0x110, 0x120, 0x130, 0x400
PERIPH_CAPS = ["spi:adc0", "uart:aux", "adc:vin1", "pwm:led1"]


@pytest.fixture(scope="module")
def periph_wasm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("periph") / "periph.wasm"
    subprocess.run(["wat2wasm", str(HERE / "periph" / "periph.wat"), "-o", str(out)],
                   check=True)
    return out.read_bytes()


def put(dev: Device, slot: int, addr: int, data: bytes) -> None:
    for i, b in enumerate(data):
        dev.cmd(f"call {slot} store8 {addr + i} {b}")


def opener(dev: Device, slot: int, fn: str, name: str, at: int = SCRATCH) -> int:
    put(dev, slot, at, name.encode())
    return dev.cmd(f"call {slot} {fn} {at} {len(name)}")


def install(dev: Device, slot: int, wasm: bytes, caps: list[str], fuel: int = 1_000_000) -> int:
    return dev.install(slot, package(wasm, f"m{slot}", caps, fuel=fuel))


def test_grant_down_to_the_address(harness: Path, tmp_path: Path, periph_wasm: bytes) -> None:
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:0/0x48", *PERIPH_CAPS])   # one device, by address
    install(dev, 1, periph_wasm, ["i2c:temp0", *PERIPH_CAPS])    # the same, by board name
    install(dev, 2, periph_wasm, ["i2c:0/*", *PERIPH_CAPS])      # the whole bus
    install(dev, 3, periph_wasm, ["i2c:1/0x48", "i2c:nosuch", *PERIPH_CAPS])
    dev.cmd("sim temp 21500")
    checks = [
        (dev.cmd(f"call 0 i2c_open {S_48} 6"), "ok 0"),
        (dev.cmd("call 0 temp 0"), f"ok {0x1580}"),          # 21.5 C, 9-bit power-on default
        # the EEPROM at 0x50 is there, but not for this module: denied, by number or name
        (dev.cmd(f"call 0 i2c_open {S_50} 6"), f"ok {E['DENIED']}"),
        (dev.cmd(f"call 0 i2c_open {S_EEPROM0} 7"), f"ok {E['DENIED']}"),
        (dev.cmd("call 0 i2c_write_read 9 512 1 516 2"), f"ok {E['NOTFOUND']}"),  # no handle
        (opener(dev, 0, "i2c_open", "nosuch"), f"ok {E['DENIED']}"),  # not "no such name"
        (opener(dev, 0, "i2c_open", "1/0x48"), f"ok {E['DENIED']}"),
        (opener(dev, 0, "i2c_open", "0/0x5"), f"ok {E['INVAL']}"),
        (opener(dev, 0, "i2c_open", "0/0x00"), f"ok {E['INVAL']}"),   # general call: never
        (opener(dev, 0, "i2c_open", "0/*"), f"ok {E['INVAL']}"),      # a grant, not a device
        (dev.cmd(f"call 1 i2c_open {S_48} 6"), "ok 0"),
        (dev.cmd(f"call 1 i2c_open {S_TEMP0} 5"), "ok 1"),
        (dev.cmd(f"call 1 i2c_open {S_50} 6"), f"ok {E['DENIED']}"),
        (dev.cmd("call 1 temp 1"), f"ok {0x1580}"),
        (dev.cmd(f"call 2 i2c_open {S_50} 6"), "ok 0"),
        (opener(dev, 2, "i2c_open", "0/0x2b"), "ok 1"),       # opening never probes...
        (dev.cmd("call 2 i2c_read 1 1024 1"), f"ok {E['NACK']}"),  # ...a transaction does
        (opener(dev, 2, "i2c_open", "1/0x48"), f"ok {E['DENIED']}"),
        (opener(dev, 3, "i2c_open", "1/0x48"), f"ok {E['NOTFOUND']}"),  # granted, no bus 1
        (opener(dev, 3, "i2c_open", "nosuch"), f"ok {E['NOTFOUND']}"),  # granted, not here
        (opener(dev, 3, "i2c_open", "0/0x48"), f"ok {E['DENIED']}"),
    ]
    # 12-bit resolution (config register 0x60), a negative temperature: -7.25 C = 0xf8c0
    put(dev, 1, SCRATCH + 64, bytes([0x01, 0x60]))
    checks += [(dev.cmd(f"call 1 i2c_write 0 {SCRATCH + 64} 2"), "ok 2"),
               (dev.cmd("sim temp -7250"), "ok"),
               (dev.cmd("call 1 temp 0"), f"ok {0xF8C0}")]
    seen_50 = dev.cmd("sim addressed 80")  # 0x50: only module 2's open... which never probes
    run = dev.run()
    for i, want in checks:
        assert run.lines[i] == want, (dev.script[i], run.lines[i])
    assert run.lines[seen_50] == "0"


def test_no_grant_is_refused_at_install_naming_the_import(
        harness: Path, tmp_path: Path, periph_wasm: bytes) -> None:
    dev = Device(harness, tmp_path)
    i = install(dev, 0, periph_wasm, PERIPH_CAPS)
    run = dev.run()
    want = ("import wasmote.i2c_open (i32, i32) -> (i32): not granted by the manifest "
            "(needs capability i2c:BUS/ADDR or i2c:NAME)")
    assert run.lines[i].startswith(f"refused {int(Status.DENIED)} 0x")
    assert run.lines[i].endswith(want)
    # the packager says the same, before anything reaches a device
    with pytest.raises(CapabilityError, match=want.replace("(", r"\(").replace(")", r"\)")):
        check_imports(module_func_imports(read_module(periph_wasm)),
                      [Capability(CapKind.SPI, "adc0")])


def test_the_device_and_the_host_agree_on_the_grammar(harness: Path, tmp_path: Path,
                                                      periph_wasm: bytes) -> None:
    """Each argument is put in a manifest as is (no host check) and pushed: the device
    must accept exactly what wasmote.package.peripherals accepts."""
    args = ["0/0x48", "15/0x77", "16/0x48", "0/0x07", "0/0x08", "0/0x78", "0/0x4A", "0/0x4",
            "0/0x048", "00/0x48", "0/*", "0/**", "*", "/0x48", "0/", "temp0", "Temp0",
            "t", "a_b9", "9a", "0/1", "0/15", "0/16", "0/01", "1/*", "x" * 32, "x" * 33,
            "0/ 1", "0//1", "0/-1", "aux"]
    dev = Device(harness, tmp_path)
    expected = []
    for kind in ("i2c", "spi", "uart"):
        for arg in args:
            # built directly: the manifest's own checks do not look at the argument
            m = Manifest(name="g", version=Version(1, 0, 0),
                         capabilities=(Capability(CapKind[kind.upper()], arg),),
                         limits=Limits(fuel_per_slice=1000))
            i = dev.install(0, Package(m, EMPTY_WASM).to_bytes())
            expected.append((i, argument_ok(kind, arg), f"{kind}:{arg}"))
    run = dev.run()
    assert sum(ok for _, ok, _ in expected) > 20
    for i, ok, what in expected:
        assert run.lines[i].startswith("ok") == ok, (what, run.lines[i])


EMPTY_WASM = b"\0asm\1\0\0\0"


def test_handles_are_checked_on_every_call(harness: Path, tmp_path: Path,
                                           periph_wasm: bytes) -> None:
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:0/0x48", *PERIPH_CAPS])
    install(dev, 1, periph_wasm, ["i2c:0/0x50", *PERIPH_CAPS])
    end = 65536
    checks = [
        (dev.cmd(f"call 1 i2c_open {S_50} 6"), "ok 0"),       # module 1's handle 0: EEPROM
        (dev.cmd("call 0 temp 0"), f"ok {E['NOTFOUND']}"),    # module 0 has no handle 0 yet
        (dev.cmd(f"call 0 i2c_open {S_48} 6"), "ok 0"),
        (opener(dev, 0, "spi_open", "adc0"), "ok 1"),
        (dev.cmd("call 0 i2c_read 1 1024 2"), f"ok {E['NOTFOUND']}"),   # an SPI handle
        (dev.cmd("call 0 adc_read 0"), f"ok {E['NOTFOUND']}"),          # an I2C handle
        (dev.cmd("call 0 i2c_read -1 1024 2"), f"ok {E['NOTFOUND']}"),
        (dev.cmd("call 0 i2c_read 8 1024 2"), f"ok {E['NOTFOUND']}"),
        # lengths and ranges come first, whatever the handle
        (dev.cmd("call 0 i2c_read 99 1024 0"), f"ok {E['INVAL']}"),
        (dev.cmd("call 0 i2c_read 0 1024 65"), f"ok {E['INVAL']}"),
        (dev.cmd(f"call 0 i2c_read 99 {end - 1} 2"), f"ok {E['FAULT']}"),
        (dev.cmd(f"call 0 i2c_write 0 {end - 2} 3"), f"ok {E['FAULT']}"),
        (dev.cmd("call 0 i2c_write 0 -1 2"), f"ok {E['FAULT']}"),       # wraps past 4 GiB
        (dev.cmd(f"call 0 i2c_write_read 0 512 1 {end} 1"), f"ok {E['FAULT']}"),
        (dev.cmd("call 0 i2c_write_read 0 512 0 516 2"), f"ok {E['INVAL']}"),
        (dev.cmd(f"call 0 i2c_read 0 {end - 2} 2"), "ok 2"),   # the very end is fine
        (dev.cmd("call 0 close 0"), "ok 0"),
        (dev.cmd("call 0 temp 0"), f"ok {E['NOTFOUND']}"),     # closed
        (dev.cmd("call 0 close 0"), f"ok {E['NOTFOUND']}"),
        (dev.cmd("call 1 i2c_read 0 1024 4"), "ok 4"),         # module 1's still works
    ]
    # eight handles, then the table is full; closing one frees it
    for _ in range(7):
        dev.cmd(f"call 0 i2c_open {S_48} 6")
    checks += [(dev.cmd(f"call 0 i2c_open {S_48} 6"), f"ok {E['FULL']}"),
               (dev.cmd("call 0 close 3"), "ok 0"),
               (dev.cmd(f"call 0 i2c_open {S_48} 6"), "ok 3"),
               (dev.cmd("sim busy"), "0 0")]                   # no bus left locked
    run = dev.run()
    for i, want in checks:
        assert run.lines[i] == want, (dev.script[i], run.lines[i])


def test_eeprom_through_the_wires(harness: Path, tmp_path: Path, periph_wasm: bytes) -> None:
    """Writes with a two-byte address, the page wrap of the real part, a repeated-START
    read back; the simulated part NACKs while its write cycle runs (ACK polling)."""
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:eeprom0", *PERIPH_CAPS])
    dev.cmd(f"call 0 i2c_open {S_EEPROM0} 7")
    # 0x001e: 'a' 'b' land at 0x1e, 0x1f, then 'c' wraps to 0x00 of the same page
    put(dev, 0, SCRATCH, bytes([0x00, 0x1E]) + b"abc")
    w = dev.cmd(f"call 0 i2c_write 0 {SCRATCH} 5")
    dev.cmd("sleepms 10")
    put(dev, 0, SCRATCH + 16, bytes([0x00, 0x1E]))
    r = dev.cmd(f"call 0 i2c_write_read 0 {SCRATCH + 16} 2 {SCRATCH + 32} 2")
    got = [dev.cmd(f"call 0 load8 {SCRATCH + 32 + i}") for i in range(2)]
    ee = dev.cmd("sim ee 0 1")
    page_end = dev.cmd("sim ee 30 2")
    run = dev.run()
    assert run.lines[w] == "ok 5"
    assert run.lines[r] == "ok 2"
    assert [run.lines[i] for i in got] == [f"ok {ord('a')}", f"ok {ord('b')}"]
    assert run.lines[ee] == b"c".hex()
    assert run.lines[page_end] == b"ab".hex()


def test_a_stuck_bus_costs_a_bounded_wait(harness: Path, tmp_path: Path,
                                         periph_wasm: bytes) -> None:
    """A part that stretches the clock forever: the transaction returns WM_E_TIMEOUT after
    the port's poll budget, and so does every one behind it while the part holds the bus;
    SDA held low for a few clocks is freed by the nine-clock recovery, held for good it is
    WM_E_IO. Nothing hangs (the harness would time out)."""
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:0/*", *PERIPH_CAPS])
    dev.cmd(f"call 0 i2c_open {S_48} 6")                      # handle 0: the TMP105
    bad = opener(dev, 0, "i2c_open", "0/0x2a")                # handle 1: the bad part
    checks = [(bad, "ok 1"),
              (dev.cmd("sim stretch 5000"), "ok"),            # within the budget: fine
              (dev.cmd("call 0 i2c_read 1 1024 1"), "ok 1"),
              (dev.cmd("sim stretch 1000000000"), "ok"),
              (dev.cmd("call 0 i2c_read 1 1024 1"), f"ok {E['TIMEOUT']}"),
              (dev.cmd("call 0 temp 0"), f"ok {E['TIMEOUT']}"),  # the bus is held
              (dev.cmd("sim stretch 0"), "ok"),               # the part lets go
              (dev.cmd("call 0 temp 0"), f"ok {0x1900}"),     # 25 C: the bus works again
              (dev.cmd("sim jam 4"), "ok"),
              (dev.cmd("call 0 i2c_read 1 1024 1"), "ok 1"),  # it jams SDA after this...
              (dev.cmd("call 0 temp 0"), f"ok {0x1900}"),     # ...recovered by 9 clocks
              (dev.cmd("sim jam 1000000000"), "ok"),
              (dev.cmd("call 0 i2c_read 1 1024 1"), "ok 1"),
              (dev.cmd("call 0 temp 0"), f"ok {E['IO']}"),    # SDA stuck for good
              (dev.cmd("sim busy"), "0 0")]
    run = dev.run()
    for i, want in checks:
        assert run.lines[i] == want, (dev.script[i], run.lines[i])


def test_bus_time_is_charged_to_the_caller(harness: Path, tmp_path: Path,
                                           periph_wasm: bytes) -> None:
    """100 temperature reads are ~40 fuel of wasm but 48 bus bits (480 us at 100 kHz)
    each: with 3000 fuel a slice the flood runs out of fuel after a few reads."""
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:temp0", *PERIPH_CAPS], fuel=3000)
    install(dev, 1, periph_wasm, ["i2c:temp0", *PERIPH_CAPS], fuel=100_000)
    dev.cmd(f"call 0 i2c_open {S_TEMP0} 5")
    dev.cmd(f"call 1 i2c_open {S_TEMP0} 5")
    starved = dev.cmd("call 0 flood 0 100")
    fed = dev.cmd("call 1 flood 0 100")
    run = dev.run()
    assert run.lines[starved] == "fuel"
    assert run.lines[fed] == "ok 100"


def test_clock_stretching_is_charged_to_the_caller(harness: Path, tmp_path: Path,
                                                   periph_wasm: bytes) -> None:
    """A part that stretches the clock (within the port's bound) makes each register read
    wait 3 x 3000 polls of 2.5 us = 22.5 ms, but its bus time is 480 us. Charged only the
    bus time, 100 such reads fitted one 100k-fuel slice: 2.3 s of bus time for 100 ms of
    fuel. The wait is fuel too, and a timed-out transaction pays the port's whole bound."""
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:0/*", *PERIPH_CAPS], fuel=100_000)
    bad = opener(dev, 0, "i2c_open", "0/0x2a")
    good = opener(dev, 0, "i2c_open", "0/0x48")
    calm = dev.cmd("call 0 flood 1 100")       # the TMP105 does not stretch: affordable
    dev.cmd("sim stretch 3000")
    stretched = dev.cmd("call 0 flood 0 100")
    one = dev.cmd("call 0 flood 0 4")          # four of them fit: 4 x 22 980 fuel
    dev.cmd("sim stretch 1000000000")
    stuck = dev.cmd("call 0 flood 0 4")        # 480 + 25 000 each for the timeouts
    run = dev.run()
    assert (run.lines[bad], run.lines[good]) == ("ok 0", "ok 1")
    assert run.lines[calm] == "ok 100"
    assert run.lines[stretched] == "fuel"
    assert run.lines[one] == "ok 4"
    assert run.lines[stuck] == "fuel"


def test_spi_uart_adc_pwm(harness: Path, tmp_path: Path, periph_wasm: bytes) -> None:
    dev = Device(harness, tmp_path)
    install(dev, 0, periph_wasm, ["i2c:temp0", *PERIPH_CAPS])
    ctrl = 0x80 | 0x40 | 0x0F  # START, channel 1, unipolar single-ended, powered
    checks = [
        (opener(dev, 0, "spi_open", "adc0"), "ok 0"),
        (opener(dev, 0, "spi_open", "0/1"), f"ok {E['DENIED']}"),   # the loopback: not ours
        (opener(dev, 0, "spi_open", "loop0"), f"ok {E['DENIED']}"),
    ]
    put(dev, 0, SCRATCH, bytes([ctrl]))
    checks += [
        (dev.cmd(f"call 0 spi_transfer 0 {SCRATCH} 1 {SCRATCH + 8} 3"), "ok 3"),
        (dev.cmd(f"call 0 load8 {SCRATCH + 9}"), f"ok {0x80 >> 2}"),  # channel 1 = 0x80
        (dev.cmd(f"call 0 load8 {SCRATCH + 10}"), "ok 0"),
        (dev.cmd(f"call 0 spi_transfer 0 {SCRATCH} 0 {SCRATCH + 8} 0"), f"ok {E['INVAL']}"),
        (dev.cmd(f"call 0 spi_transfer 0 {SCRATCH} 65 {SCRATCH + 8} 1"), f"ok {E['INVAL']}"),
        (opener(dev, 0, "uart_open", "aux"), "ok 1"),
        (opener(dev, 0, "uart_open", "console"), f"ok {E['DENIED']}"),
        (dev.cmd(f"call 0 uart_read 1 {SCRATCH} 8 0"), f"ok {E['TIMEOUT']}"),
        (dev.cmd(f"call 0 uart_write 1 {S_TEMP0} 5"), "ok 5"),
        (dev.cmd(f"call 0 uart_read 1 {SCRATCH + 16} 3 0"), "ok 3"),   # "tem"
        (dev.cmd(f"call 0 uart_read 1 {SCRATCH + 16} 64 -1"), "ok 2"),  # "p0"
        (dev.cmd(f"call 0 uart_read 1 {SCRATCH} 0 0"), f"ok {E['INVAL']}"),
        (dev.cmd(f"call 0 uart_read 1 {SCRATCH} 4 -2"), f"ok {E['INVAL']}"),
        (opener(dev, 0, "adc_open", "vin1"), "ok 2"),
        (opener(dev, 0, "adc_open", "vin0"), f"ok {E['DENIED']}"),
        (dev.cmd("call 0 adc_read 2"), "ok 128"),
        (dev.cmd("sim adc 1 77"), "ok"),
        (dev.cmd("call 0 adc_read 2"), "ok 77"),
        (opener(dev, 0, "pwm_open", "led1"), "ok 3"),
        (opener(dev, 0, "pwm_open", "fan0"), f"ok {E['DENIED']}"),
        (dev.cmd("call 0 pwm_set 3 1000 16384"), "ok 0"),
        (dev.cmd("sim pwm 0"), "1000 16384"),
        (dev.cmd("call 0 pwm_set 3 0 100"), f"ok {E['INVAL']}"),
        (dev.cmd("call 0 pwm_set 3 1000 65536"), f"ok {E['INVAL']}"),
        (dev.cmd("call 0 pwm_set 3 200000 100"), f"ok {E['UNSUPPORTED']}"),
        (dev.cmd("call 0 close 3"), "ok 0"),
        (dev.cmd("sim pwm 0"), "1 0"),                       # closing turned it off
        (dev.cmd("call 0 pwm_set 3 1000 16384"), f"ok {E['NOTFOUND']}"),
    ]
    h = opener(dev, 0, "pwm_open", "led1")
    checks += [(h, "ok 3"), (dev.cmd("call 0 pwm_set 3 50 65535"), "ok 0"),
               (dev.cmd("uninstall 0"), "ok"), (dev.cmd("sim pwm 0"), "1 0")]
    run = dev.run()
    for i, want in checks:
        assert run.lines[i] == want, (dev.script[i], run.lines[i])
