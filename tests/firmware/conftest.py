"""Fixtures for the firmware tests: built images and booted QEMU sims (always stopped)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from wasmote import firmware, sim

QEMU_BOARDS = ["mps2-an385", "mps2-an386", "mps2-an505", "riscv32-virt", "xtensa-lx106"]


@dataclass
class Booted:
    sim: sim.Sim
    ser: Any
    lines: list[str]

    def command(self, text: str, timeout: float = 5.0) -> str:
        """Sends one line, returns the next non-empty line the firmware prints."""
        self.ser.write(text.encode() + b"\r\n")
        return read_line(self.ser, timeout)


def read_line(ser: Any, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        c = ser.read(1)
        if not c:
            continue
        if c == b"\n":
            line = buf.decode("utf-8", "replace").strip()
            if line:
                return line
            buf = b""
        else:
            buf += c
    raise AssertionError(f"no line within {timeout} s (partial: {buf!r})")


def read_until(ser: Any, last: str, timeout: float = 60.0) -> list[str]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while True:
        try:
            line = read_line(ser, max(0.1, deadline - time.monotonic()))
        except AssertionError as e:
            raise AssertionError(f"{e}; lines before: {lines}") from None
        lines.append(line)
        if line == last or line.startswith("panic"):
            return lines


@contextmanager
def spectest_image(board: str, answer_timeout: float) -> Iterator[tuple[Any, list[str]]]:
    """The board's spec-test image (env <board>-spectest) booted under QEMU: its serial line,
    set to wait `answer_timeout` for one answer, and the banner lines up to `ready`."""
    firmware.build(board, env=f"{board}-spectest")
    s = sim.launch(board, env=f"{board}-spectest", build=False)
    try:
        ser = s.connect(timeout=60)
        ser.timeout = 0.2
        banner = read_until(ser, "ready", timeout=30)
        ser.timeout = answer_timeout
        yield ser, banner
    finally:
        s.stop()


@pytest.fixture(scope="module")
def builds() -> dict[str, firmware.BuildResult]:
    return {}


@pytest.fixture
def boot(builds: dict[str, firmware.BuildResult]) -> Iterator[Any]:
    """boot(board) -> Booted: builds (cached per module), starts QEMU, connects as the first
    client and reads the boot output up to `ready`. Every QEMU is stopped afterwards."""
    started: list[sim.Sim] = []

    def _boot(board: str) -> Booted:
        if board not in builds:
            builds[board] = firmware.build(board)
        s = sim.launch(board, build=False)
        started.append(s)
        ser = s.connect(timeout=0.2)
        try:
            return Booted(s, ser, read_until(ser, "ready"))
        except AssertionError as e:
            log = open(s.log, errors="replace").read()
            raise AssertionError(f"{board}: {e}; alive={s.alive()} qemu log: {log!r}") from None

    try:
        yield _boot
    finally:
        for s in started:
            s.stop()
