"""Install-time worst cases on the posix device: the pre-decoded form (docs/predecoded.md)
and manifest limits at their extremes (docs/reliability.md, "Red team of the device's
install path").

A br_table's target is one byte of code and a 14-byte branch in the form (BRX: offset,
fuel, from, to, count), so a module of br_tables had a form 14 times its size: 4 KiB of
module took 56 KiB of the store, and the largest such module nearly all of it. An install
now keeps a form of at most WM_PD_FORM_RATIO (4) times the module's bytes past its header;
a larger one is not written, the module runs in place and the commit's answer says why.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.install_worst import HEADER, _section, _vec
from tests.harness.posix_device import PosixDevice
from tests.runtime_unit.test_runtime_unit import build_with_runtime
from tests.sandbox.sandbox_support import package
from tests.supervisor.modules import i32, wasm
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.paths import FIRMWARE_DIR, REPO_ROOT
from wasmote.wasm.leb128 import encode_unsigned as uleb

RATIO = int(re.search(r"#define WM_PD_FORM_RATIO (\d+)u",  # type: ignore[union-attr]
                      (FIRMWARE_DIR / "src/core/runtime/wm_pd.h").read_text()).group(1))
RETURNS_I32 = b"\x60\x00\x01\x7f"


def _module(body: bytes) -> bytes:
    """One function `() -> i32` exported as `f`, with `body` before its `i32.const 1`."""
    code = b"\x00" + body + b"\x41\x01\x0b"
    return (HEADER + _section(1, _vec([RETURNS_I32])) + _section(3, _vec([b"\x00"]))
            + _section(7, _vec([b"\x01f\x00\x00"]))
            + _section(10, _vec([uleb(len(code)) + code])))


def br_tables(targets: int) -> bytes:
    """A block holding one br_table of `targets` targets (one byte each): the form's
    costliest code per byte."""
    return _module(b"\x02\x40\x41\x00\x0e" + uleb(targets) + b"\x00" * (targets + 1) + b"\x0b")


def loops(n: int) -> bytes:
    """`n` empty loops (3 bytes of code, a 6-byte LOOP each): a form twice the module."""
    return _module(b"\x03\x40\x0b" * n)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[PosixDevice]:
    with PosixDevice(tmp_path / "flash.bin", flash_size=64 * 1024 + 64 * 4096,
                     predecode=True) as d:
        yield d


def _client(d: PosixDevice) -> DeviceClient:
    return DeviceClient(SerialTransport(d.url), timeout=2.0)


def _entry(c: DeviceClient, name: str) -> p.ModuleEntry:
    return next(m for m in c.modules(detail=True) if m.name == name)


def test_a_form_past_its_ratio_is_not_kept_and_the_module_runs_in_place(
        dev: PosixDevice) -> None:
    c = _client(dev)
    wasm = br_tables(4000)
    r = c.push("wide", wasm)
    assert f"runs in place: its pre-decoded form would take more than {RATIO} times its bytes" \
        in r.note, r.note
    m = _entry(c, "wide")
    assert (m.code, m.form_bytes) == ("in place", 0), m
    assert c.run("wide", "f", []) == [i32(1)]
    c.transport.close()


def test_a_form_within_its_ratio_is_kept(dev: PosixDevice) -> None:
    c = _client(dev)
    wasm = loops(4000)
    r = c.push("loops", wasm)
    assert r.note == ""
    m = _entry(c, "loops")
    assert m.code == "pre-decoded" and len(wasm) < m.form_bytes <= RATIO * len(wasm) + 128, m
    assert c.run("loops", "f", []) == [i32(1)]
    c.transport.close()


def test_a_form_that_cannot_be_kept_is_not_translated_to_its_end(tmp_path: Path) -> None:
    """The store had no room for a form after the translator had made all of it (the
    largest module's: ~84 M Cortex-M4 instructions, 3.3 s at 25 MHz, for nothing); the
    translation now stops at the store's room (wm_pd_translate_kept). Work is counted in
    the install's work meter's kicks (c/pd_keep_unit.c)."""
    unit = REPO_ROOT / "tests" / "runtime_unit" / "c" / "pd_keep_unit.c"
    exe = build_with_runtime(REPO_ROOT, unit, tmp_path / "pd_keep_unit",
                             ["-O1", "-DWM_PREDECODE=1"])
    module = tmp_path / "loops.wasm"
    module.write_bytes(loops(200_000))  # 600 KB: a 1.2 MB form, ~100 kicks of translation
    proc = subprocess.run([str(exe), str(module)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), (
        proc.stdout[-2000:] + proc.stderr[-4000:])
    m = re.search(r"kept (\d+) whole (\d+)", proc.stdout)
    assert m is not None, proc.stdout
    kept, whole = int(m.group(1)), int(m.group(2))
    assert whole >= 50 and kept <= whole // 10, (kept, whole)


def test_a_stored_module_of_the_largest_memory_limit_is_listed_at_it(dev: PosixDevice) -> None:
    """LIST gives a stored module's RAM as limits.memory + limits.stack: at the manifest's
    largest memory limit (2^32 - 1) the u32 sum wrapped, and `wasmote ls` showed a module
    that can never start as needing 8 KiB ("(8.0K)")."""
    c = _client(dev)
    pkg = package(wasm("summer"), "huge", ["log", "sleep", "time"], memory=0xFFFFFFFF)
    c.push("huge", pkg)
    m = _entry(c, "huge")
    assert (m.mem_limit, m.mem_bytes) == (0xFFFFFFFF, 0xFFFFFFFF), m
    assert c.run("huge", "sum", [i32(1000)]) == [i32(499500)]  # it has no memory to reserve
    c.transport.close()
