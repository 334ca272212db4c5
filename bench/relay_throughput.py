"""Push throughput through the line-sharing relay against a direct line, same run.

The relay (host_tools/wasmote/device/relay.py) adds a hop for every frame: client -> unix
socket -> relay -> line, and back. This pushes the same module alternately directly
(SerialTransport) and through the relay (open_line), `--runs` times each, to two devices:

- `qemu`: the product firmware for mps2-an386 in QEMU (the UART on TCP): the real loop;
- `posix`: the posix device over unthrottled TCP: the worst case for the relay's share,
  since nothing else is slow there.

and reports the median seconds of each and relay/direct. A new module name per push (same
size) so that nothing is skipped or resumed.

    python -m bench.relay_throughput [--size BYTES] [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.harness.posix_device import PosixDevice, filler_module
from wasmote import sim
from wasmote.device.client import DeviceClient
from wasmote.device.relay import open_line
from wasmote.device.transport import SerialTransport, Transport


@dataclass
class Row:
    device: str
    size: int
    direct_s: float
    relay_s: float
    ratio: float          # relay seconds / direct seconds (1.0 = no cost)
    direct_KBps: float
    relay_KBps: float


def _push(t: Transport, name: str, data: bytes) -> float:
    c = DeviceClient(t, timeout=3.0)
    try:
        c.info()
        t0 = time.perf_counter()
        c.push(name, data)
        seconds = time.perf_counter() - t0
        c.remove(name)
        return seconds
    finally:
        t.close()


def measure(device: str, url: str, size: int, runs: int) -> Row:
    direct, relayed = [], []
    for i in range(runs):
        data = filler_module(size, i)
        relayed.append(_push(open_line(url), f"r{i}", data))
        # the relay must be gone before a direct connection (QEMU serves one client)
        time.sleep(float(os.environ["WASMOTE_RELAY_IDLE"]) + 0.5)
        direct.append(_push(SerialTransport(url, open_timeout=10.0), f"d{i}", data))
    d, r = statistics.median(direct), statistics.median(relayed)
    return Row(device, size, d, r, r / d, size / d / 1000, size / r / 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wmr") as rdir:
        os.environ["WASMOTE_RUNTIME_DIR"] = rdir
        os.environ["WASMOTE_RELAY_IDLE"] = "0.3"
        os.environ.pop("WASMOTE_RELAY", None)
        s = sim.start_background("mps2-an386")
        try:
            rows.append(measure("qemu mps2-an386", s.url, args.size, args.runs))
        finally:
            s.stop()
        with PosixDevice(Path(rdir) / "flash.bin", flash_size=1024 * 1024) as dev:
            rows.append(measure("posix (TCP)", dev.url, args.size, args.runs))
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    print(f"{'device':<18} {'size':>7} {'direct s':>9} {'relay s':>9} {'relay/direct':>13} "
          f"{'direct KB/s':>12} {'relay KB/s':>11}")
    for r in rows:
        print(f"{r.device:<18} {r.size:>7} {r.direct_s:>9.3f} {r.relay_s:>9.3f} "
              f"{r.ratio:>13.3f} {r.direct_KBps:>12.1f} {r.relay_KBps:>11.1f}")


if __name__ == "__main__":
    main()
