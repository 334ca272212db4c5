"""Push throughput over a serial-speed line: effective payload rate / raw line rate.

Pushes a 64 KiB module to the posix device (the firmware's protocol + store built for this
host, flash in a file) through a transport that paces both directions to a UART's line rate
(8N1, 10 bits per byte), at 115200 and 921600 baud. The reference is measured in the same
run on the same throttled link: the time to blast the same number of raw bytes (0x00
delimiters, ignored by the device) with no protocol at all. The protocol's goal is
payload rate >= 85% of the raw line rate. Each row's push is begin + all chunks + commit
(hash check on the device), i.e. what `wasmote push` costs end to end.

    python -m bench.push_throughput [--size BYTES] [--window N] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.harness.posix_device import PosixDevice, filler_module
from tests.harness.transports import ThrottledTransport
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport

BAUDS = (115200, 921600)


@dataclass
class Row:
    baud: int
    nominal_Bps: float
    raw_Bps: float
    payload: int
    seconds: float
    payload_Bps: float
    ratio_raw: float
    ratio_nominal: float
    retransmits: int


def measure(url: str, baud: int, data: bytes, window: int) -> Row:
    raw_t = ThrottledTransport(SerialTransport(url), baud)
    t0 = time.perf_counter()
    for i in range(0, len(data), 4096):
        raw_t.write(bytes(min(4096, len(data) - i)))
    raw_s = time.perf_counter() - t0
    raw_t.close()
    link = ThrottledTransport(SerialTransport(url), baud)
    c = DeviceClient(link, window=window)
    r = c.push("bench", data)
    link.close()
    raw_bps = len(data) / raw_s
    return Row(baud, baud / 10, raw_bps, len(data), r.seconds, r.throughput,
               r.throughput / raw_bps, r.throughput / (baud / 10), r.retransmits)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    data = filler_module(a.size, 1)
    with tempfile.TemporaryDirectory() as tmp, \
            PosixDevice(Path(tmp) / "flash.bin", flash_size=1024 * 1024 + 32 * 1024) as dev:
        rows = [measure(dev.url, b, data, a.window) for b in BAUDS]
    if a.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    print(f"push of {a.size} bytes, window {a.window} x 1024-byte chunks, posix device over "
          "a throttled TCP link (8N1)")
    print(f"{'baud':>7} {'line B/s':>9} {'raw B/s':>9} {'push s':>7} {'payload B/s':>11} "
          f"{'/raw':>6} {'/line':>6} {'retx':>4}")
    for r in rows:
        print(f"{r.baud:>7} {r.nominal_Bps:>9.0f} {r.raw_Bps:>9.0f} {r.seconds:>7.2f} "
              f"{r.payload_Bps:>11.0f} {r.ratio_raw:>6.3f} {r.ratio_nominal:>6.3f} "
              f"{r.retransmits:>4}")
    print("goal: payload / raw line rate >= 0.85")


if __name__ == "__main__":
    main()
