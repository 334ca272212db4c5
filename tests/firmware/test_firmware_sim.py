"""`wasmote sim`: background sims through the library and the CLI, several at once, the
serial URL through pyserial (the device protocol), stop by URL, nothing left running."""

from __future__ import annotations

import os
import subprocess

import pytest

from wasmote import sim
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.errors import UsageError


def _board(url: str) -> str:
    """The board the firmware at `url` reports over the device protocol (INFO)."""
    t = SerialTransport(url)
    try:
        return DeviceClient(t, timeout=2.0).info().board
    finally:
        t.close()


@pytest.mark.qemu
def test_firmware_sim_background_library_two_at_once():
    started = []
    try:
        a = sim.start_background("mps2-an386")
        started.append(a)
        b = sim.start_background("riscv32-virt")
        started.append(b)
        assert a.port != b.port
        assert any(ln.startswith("wasmote ") and "board=mps2-an386" in ln for ln in a.boot_log)
        assert a.boot_log[-1].startswith("info: wasmote ") and "on mps2-an386" in a.boot_log[-1]
        # reconnecting later works (wait=on only holds the very first connection)
        assert _board(a.url) == "mps2-an386"
        assert _board(b.url) == "riscv32-virt"
        running = {s.port: s for s in sim.list_sims()}
        assert {a.port, b.port} <= set(running)
        stopped = sim.stop(a.url)
        assert [s.port for s in stopped] == [a.port]
        assert not a.alive()
        assert a.port not in {s.port for s in sim.list_sims()}
        assert _board(b.url) == "riscv32-virt"
        with pytest.raises(sim.SimError, match="no running simulator"):
            sim.stop(a.url)
    finally:
        for s in started:
            s.stop()
    assert not any(s.alive() for s in started)


def test_firmware_sim_rejects_real_boards_and_bad_urls():
    with pytest.raises(UsageError, match="cannot be simulated"):
        sim.launch("esp32dev", build=False)
    with pytest.raises(UsageError, match="not a simulator URL"):
        sim.parse_url_port("/dev/ttyUSB0")


@pytest.mark.qemu
def test_firmware_sim_cli_background_and_stop():
    proc = subprocess.run(["wasmote", "sim", "--board", "mps2-an385", "--background", "--fresh"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.strip().splitlines()[-1]
    port = sim.parse_url_port(url)
    rec = next((s for s in sim.list_sims() if s.port == port), None)
    try:
        assert rec is not None and rec.board == "mps2-an385"
        assert _board(url) == "mps2-an385"
        out = subprocess.run(["wasmote", "sim", "stop", url], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        assert f"stopped mps2-an385 at {url}" in out.stdout
        assert not rec.alive()
        assert not os.path.exists(f"/proc/{rec.pid}/cmdline") or not rec.alive()
    finally:
        if rec is not None and rec.alive():
            rec.stop()
