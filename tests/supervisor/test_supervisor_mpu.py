"""The MPU isolating native (AOT) code on the product firmware under QEMU (docs/aot.md,
"Isolation by the MPU"): a provisioned board runs signed AOT modules unprivileged with MPU
regions for exactly their code, memory, stack and context. Signed but broken native code -
compiled without bounds checks, or a hand-written hostile payload - is stopped by the MPU:
the fault is a trap of that module, the firmware and the other modules go on.

Cortex-M4F (mps2-an386, PMSAv7) runs the scenario with other modules; the hostile payload also
runs on the Cortex-M3 (mps2-an385, PMSAv7, no FPU) and Cortex-M33 (mps2-an505, PMSAv8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.supervisor.hostile_aot import hostile, scribbler
from tests.supervisor.modules import i32, package
from tests.supervisor.test_supervisor_device import collect_until, logged, state
from tests.supervisor.test_supervisor_qemu import (
    QEMU_BLINK_TOLERANCE_MS,
    QEMU_EVENT_DEADLINE_S,
    _boot,
)
from wasmote.aot.compile import compile_wasm
from wasmote.aot.package import with_aot
from wasmote.aot.targets import get_target
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.package.container import parse_package
from wasmote.package.keys import public_key_bytes, sign_package

pytestmark = pytest.mark.qemu

TARGETS = {"mps2-an386": "cortex-m4", "mps2-an385": "cortex-m3", "mps2-an505": "cortex-m33"}
# first word of RAM that is neither a module's nor free: the firmware's .data/.bss
FIRMWARE_RAM = {"mps2-an386": 0x20000000, "mps2-an385": 0x20000000, "mps2-an505": 0x38000000}
MPU_OOB = re.compile(r"^out of bounds memory access \(MPU\)( at 0x[0-9a-f]{8})?$")


@pytest.fixture
def an386(tmp_path: Path) -> Iterator[tuple[DeviceClient, Ed25519PrivateKey]]:
    s, c = _boot(None, tmp_path, board="mps2-an386", icount="while-running")  # (its timing)
    try:
        key = Ed25519PrivateKey.generate()
        c.provision([public_key_bytes(key)])
        c.key = key  # management now needs tokens, and module events a subscription
        c.subscribe(p.SUBSCRIBE_MAX_S)
        yield c, key
    finally:
        c.transport.close()
        s.stop()


def _native(name: str, key: Ed25519PrivateKey) -> bytes:
    pkg = parse_package(package(name))
    pkg = with_aot(pkg, [compile_wasm(pkg.module, get_target("cortex-m4")).aot])
    return sign_package(pkg, key).to_bytes()


def _refusal(c: DeviceClient, name: str, fn: str, args: list[p.WireValue]) -> str:
    with pytest.raises(DeviceRefused) as exc:
        c.run(name, fn, args)
    assert exc.value.status == p.Status.TRAP, exc.value
    return exc.value.message


def test_broken_native_code_is_stopped_by_the_mpu_and_the_rest_go_on(
        an386: tuple[DeviceClient, Ed25519PrivateKey]) -> None:
    c, key = an386
    assert "aot-mpu" in c.info().feature_names()
    c.push("busy", _native("busy", key))
    c.push("blinker", sign_package(parse_package(package("blinker")), key).to_bytes())
    c.push("scribbler", scribbler(key))  # compiled without bounds checks, signed
    c.start("busy")       # native, never yields
    c.start("blinker")    # interpreted, LED every 50 ms
    c.start("scribbler")  # native: fills its memory, sleeps 300 ms, writes one word past it

    def since_the_trap(events: list[p.Event]) -> list[str]:
        """The blinker's lateness reports from the scribbler's trap on."""
        at = next((i for i, e in enumerate(events)
                   if e.module == "scribbler" and e.kind == p.Msg.EV_TRAP), len(events))
        return logged(events[at:], "blinker")

    # the report of the 20 wake-ups the trap fell in
    events = collect_until(c, lambda evs: len(since_the_trap(evs)) >= 1,
                           QEMU_EVENT_DEADLINE_S)
    traps = [e for e in events if e.module == "scribbler" and e.kind == p.Msg.EV_TRAP]
    assert len(traps) == 1, events
    assert traps[0].text.startswith("trap: out of bounds memory access (MPU) at 0x"), traps
    late = [int(text) for text in since_the_trap(events)]
    assert max(late) <= QEMU_BLINK_TOLERANCE_MS, (late, events)  # it kept its period
    sc = state(c, "scribbler")
    assert (sc.state, sc.traps) == ("trapped", 1), sc
    assert MPU_OOB.match(sc.last_trap), sc.last_trap
    busy = state(c, "busy")
    assert (busy.kind, busy.state) == ("package+aot", "ready") and busy.fuel_per_s > 0, busy
    info = c.info()  # the device answers and never reset
    assert (info.boots, info.reset_cause) == (1, 0), info
    # the module's own memory is fine; the same word past it traps again (RUN: a fresh
    # instance, beside the running modules)
    assert c.run("scribbler", "peek", [i32(0xFFFC)]) == [i32(0)]
    assert MPU_OOB.match(_refusal(c, "scribbler", "poke", [i32(0x10000), i32(1)]))
    # compiled as `wasmote compile` does, with its checks: the software check traps first
    c.push("scribbler", scribbler(key, checks=True))
    assert _refusal(c, "scribbler", "poke", [i32(0x10000), i32(1)]) == \
        "out of bounds memory access"
    assert state(c, "busy").state == "ready" and c.info().boots == 1


@pytest.mark.parametrize("board", list(TARGETS))
def test_hostile_native_code_reaches_nothing_outside_its_regions(board: str,
                                                                 tmp_path: Path) -> None:
    s, c = _boot(None, tmp_path, board=board)
    try:
        key = Ed25519PrivateKey.generate()
        c.provision([public_key_bytes(key)])
        c.key = key
        assert "aot-mpu" in c.info().feature_names()
        c.push("hostile", hostile(key, TARGETS[board]))
        # (the wasm behind each export is harmless: what traps below is the native code)
        assert c.run("hostile", "ok", [i32(41)]) == [i32(42)]
        ram = FIRMWARE_RAM[board]
        # the firmware's RAM: read, write
        assert _refusal(c, "hostile", "peek", [i32(ram)]) == \
            f"out of bounds memory access (MPU) at {ram:#010x}"
        assert _refusal(c, "hostile", "poke", [i32(ram + 0x100), i32(0)]) == \
            f"out of bounds memory access (MPU) at {ram + 0x100:#010x}"
        # the system control space (CPUID; the MPU's own control register): unprivileged
        assert _refusal(c, "hostile", "peek", [i32(0xE000ED00)]) == \
            "bus fault in native code at 0xe000ed00"
        assert _refusal(c, "hostile", "poke", [i32(0xE000ED94), i32(0)]) == \
            "bus fault in native code at 0xe000ed94"
        # firmware code (the vector table's neighbourhood): not executable for it
        assert _refusal(c, "hostile", "jump", [i32(0x100)]) == \
            "native code executed outside its code (MPU)"
        # a supervisor call of its own, not through the gate
        assert _refusal(c, "hostile", "svc", []) == \
            "native code made a supervisor call outside the gate"
        # its stack pointer into the firmware's RAM, then an interrupt stacks onto it
        assert MPU_OOB.match(_refusal(c, "hostile", "smash", [i32(ram + 0x200)]))
        # a loop that skips its fuel checks: stopped by the tick, long before the watchdog
        assert _refusal(c, "hostile", "spin", []) == \
            "native code did not come back to the runtime for 500 ms (stopped by the timer)"
        # all contained: the module still works, nothing reset
        assert c.run("hostile", "ok", [i32(1)]) == [i32(2)]
        info = c.info()
        assert (info.boots, info.reset_cause) == (1, 0), info
    finally:
        c.transport.close()
        s.stop()
