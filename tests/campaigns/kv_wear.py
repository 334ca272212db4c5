"""Wear of the config area (issue 14 item 9): how many times each of its sectors is erased
while modules write key-value records as fast as they can.

The posix device counts erases per flash sector (`--erase-counts`); a module that rewrites
one key in a loop (tests/supervisor/wat/rewriter.wat, started like any module) runs for
`--seconds`, and the campaign reports the erases of the busiest config-area sector, the
compactions they mean, and what that is per hour. Scenarios:

  default    the rewriter (4-byte values) with the default write budget (256 bytes/h)
  big        the same with 256-byte values
  admitted   4-byte values with the largest budget the device admits for one module (all
             it sustains for ten years of 10,000-cycle flash): the worst case one reaches

`--exe PATH` runs another build of the device (one without write budgets measures the
attack as it was: before the fix every scenario is unbounded). The bound the budgets give
is the arithmetic of tests/campaigns/kv_wear.py's `bound_per_hour` (docs/reliability.md).

    python -m tests.campaigns.kv_wear --seconds 10
"""

from __future__ import annotations

import argparse
import struct
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.campaigns.common import Table, save_report
from tests.harness import posix_device
from tests.harness.posix_device import PosixDevice
from tests.supervisor.modules import package
from wasmote import config_area
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport

KV, SECTOR = 64 * 1024, 4096  # the config area of every board file, and the posix device's
SCENARIOS = ("default", "big", "admitted")


@dataclass
class WearResult:
    scenario: str
    budget: int              # limits.kv_write, bytes per hour
    seconds: float
    max_erases: int          # of the busiest config-area sector, the first format included
    compactions: int         # bank erases after the first format
    per_sector_per_hour: float
    bound_per_hour: float    # what the budgets allow, at most (arithmetic)


def bound_per_hour(budget: int, kv: int = KV, sector: int = SECTOR) -> float:
    """Erases per config sector per hour that a module at `budget` bytes an hour can cause
    at most in steady state: a compaction per (headroom - one record) bytes written, a
    sector erased every other compaction."""
    cap = config_area.capacity(kv, sector)
    headroom = cap - config_area.RESERVE - config_area.module_pool(kv, sector)
    return budget / (2 * (headroom - config_area.RECORD_MAX))


def config_erases(counts_file: Path, device: PosixDevice) -> list[int]:
    raw = counts_file.read_bytes()
    counts = struct.unpack(f"<{len(raw) // 4}I", raw)
    return list(counts[device.store_size // device.sector:])


def run_scenario(scenario: str, seconds: float, work: Path, kv: int = KV) -> WearResult:
    budget = 256 if scenario != "admitted" else config_area.write_capacity(kv, SECTOR)
    counts = work / f"{scenario}-erases.bin"
    dev = PosixDevice(work / f"{scenario}-flash.bin", flash_size=256 * 1024 + kv, kv=kv,
                      sector=SECTOR, erase_counts=counts)
    module = "bigwriter" if scenario == "big" else "rewriter"
    with dev:
        c = DeviceClient(SerialTransport(dev.url), timeout=5.0)
        limits = "" if budget == 256 else f"kv_write = {budget}\n"
        c.push(module, package(module, limits=limits))
        t0 = time.monotonic()
        c.start(module)
        time.sleep(seconds)  # a measurement over this much time, not a test assertion
        took = time.monotonic() - t0
        erases = config_erases(counts, dev)
        c.transport.close()
    banks = len(erases) // 2
    compactions = max(0, sum(erases) // banks - 1)  # the first boot formats one bank
    return WearResult(scenario, budget, round(took, 2), max(erases), compactions,
                      round((max(erases) - 1) * 3600 / took, 1),
                      round(bound_per_hour(budget, kv), 4))


def report(results: Sequence[WearResult]) -> str:
    t = Table(("scenario", "limits.kv_write (B/h)", "seconds", "erases of the busiest sector",
               "compactions", "erases/sector/hour measured", "bound (steady state)"))
    for r in results:
        t.add(r.scenario, r.budget, r.seconds, r.max_erases, r.compactions,
              r.per_sector_per_hour, r.bound_per_hour)
    return t.render()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.kv_wear", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--scenario", choices=SCENARIOS, action="append", help="default: all")
    ap.add_argument("--exe", type=Path, help="a posix device build to run instead")
    ap.add_argument("--kv", type=int, default=KV,
                    help="config area bytes (the posix device's default was 32 KiB)")
    args = ap.parse_args(argv)
    if args.exe is not None:
        exe = args.exe.resolve()
        posix_device.build_device = lambda variant="release": exe
    with tempfile.TemporaryDirectory() as d:
        results = [run_scenario(s, args.seconds, Path(d), args.kv)
                   for s in (args.scenario or SCENARIOS)]
    print(report(results))
    save_report("kv_wear", [asdict(r) for r in results])
    return 0


if __name__ == "__main__":
    sys.exit(main())
