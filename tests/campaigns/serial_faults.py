"""Serial fault campaign: thousands of pushes through a line that drops, flips, duplicates
and delays (reorders) bytes in both directions, at several error rates, into the posix
device (the firmware's protocol, store and runtime compiled for this host, ASan+UBSan
build by default) or, with `--device qemu`, into the riscv32-virt product firmware under
QEMU (its emulated UART behind the faulty line; its RAM, and so its flash, in a host file,
so that a restart keeps the store).

After every push a clean connection checks the device:
  - it still answers (else: "stopped answering"; the device is restarted to go on);
  - the pushed name holds the new image if the push reported success, the old or the new
    one if it failed; every other module is unchanged (else: "wrong module");
  - running the module's `id` export returns the tag of the image the device lists, so the
    module that runs is the module listed (else: "wrong module").
Half of the failed pushes are retried with the same image, which exercises resume.

    python -m tests.campaigns.serial_faults --pushes 1000       # per rate
    python -m tests.campaigns.serial_faults --pushes 20 --rates 0.001   # a quick look
    python -m tests.campaigns.serial_faults --device qemu --pushes 250
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tests.campaigns.common import Stopwatch, Table, TcpTransport, save_report
from tests.campaigns.modules import tagged_module
from tests.harness.posix_device import PosixDevice
from tests.harness.transports import FaultyTransport
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError, DeviceRefused

if TYPE_CHECKING:
    from tests.campaigns.power_cuts import QemuDevice

RATES = (0.0001, 0.0005, 0.001, 0.003)
NAMES = ("app0", "app1", "app2", "app3")
SIZES = (300, 1500, 4000, 9000, 20000)


@dataclass
class RateResult:
    rate: float
    pushes: int = 0
    succeeded: int = 0
    failed_cleanly: int = 0
    wrong_module: int = 0
    stopped_answering: int = 0
    other_error: int = 0      # the host library raised something undocumented
    resumed: int = 0          # pushes that continued an earlier interrupted one
    retransmits: int = 0
    faults: int = 0           # bytes dropped/flipped/duplicated/delayed
    bytes_pushed: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


class Line(Protocol):
    """A device behind the line: the posix device, or firmware under QEMU."""

    url: str

    def alive(self) -> bool: ...

    def restart(self) -> object: ...

    def stop(self) -> None: ...


class QemuLine:
    """The riscv32-virt product firmware under QEMU; a restart keeps its flash (RAM file)."""

    # QEMU's UART is slower than the posix device's socket: longer answers, same retries
    timeout, slow_timeout = 0.3, 1.0

    def __init__(self, ram: Path) -> None:
        from tests.campaigns.power_cuts import QemuDevice, qemu_elf
        self.dev: QemuDevice = QemuDevice(qemu_elf(), ram)
        self.url = ""

    def start(self) -> QemuLine:
        self.dev.start()
        self.url = self.dev.url
        deadline = time.monotonic() + 30
        while True:  # booted once it answers
            try:
                t = TcpTransport(self.url, open_timeout=10.0)
                try:
                    DeviceClient(t, timeout=0.5).info()
                    return self
                finally:
                    t.close()
            except DeviceError:
                if time.monotonic() > deadline:
                    raise

    def alive(self) -> bool:
        return self.dev.alive()

    def restart(self) -> QemuLine:
        self.dev.stop()
        return self.start()

    def stop(self) -> None:
        self.dev.stop()


@dataclass
class _Image:
    data: bytes
    tag: int

    @property
    def sha(self) -> bytes:
        return hashlib.sha256(self.data).digest()


def _check(dev: Line, expected: dict[str, _Image], name: str,
           allowed: list[_Image | None], res: RateResult,
           old_unknown: bool = False) -> tuple[bool, _Image | None]:
    """(True, the image `name` holds now: one of `allowed`) after checking the whole
    device; (False, None) with a recorded problem when something is wrong. `old_unknown`:
    what `name` held before is not known (an earlier problem touched it), so anything but
    the pushed image counts as the old one, (True, None)."""
    t = TcpTransport(dev.url)
    c = DeviceClient(t, timeout=1.0, retries=4)
    try:
        held = {m.name: m.sha256 for m in c.modules()}
        got = held.get(name)
        matches = [a for a in allowed if (a.sha if a else None) == got]
        if not matches and old_unknown:
            return True, None
        if not matches:
            res.wrong_module += 1
            res.problems.append(f"{name}: holds {got.hex() if got else None}")
            return False, None
        now = matches[0]
        for other, img in expected.items():
            if other != name and held.get(other) != img.sha:
                res.wrong_module += 1
                res.problems.append(f"{other} changed during a push of {name}")
                return False, None
        for n, img in [*((k, v) for k, v in expected.items() if k != name),
                       *([(name, now)] if now else [])]:
            vals = c.run(n, "id", [])
            if len(vals) != 1 or vals[0].bits != img.tag:
                res.wrong_module += 1
                res.problems.append(f"{n}: runs tag {vals} instead of {img.tag}")
                return False, None
        return True, now
    except DeviceRefused as e:  # it answers, but refuses to run a module that must run
        res.wrong_module += 1
        res.problems.append(f"refused: {e}")
        return False, None
    except DeviceError as e:
        res.stopped_answering += 1
        res.problems.append(f"device stopped answering: {e}")
        raise
    finally:
        t.close()


def run_rate(rate: float, pushes: int, seed: int, variant: str, work: Path,
             device: str = "posix", retries: int = 5) -> RateResult:
    """`retries`: tries after the first for a request, and so how long a push waits
    without progress (the timeout times 1 + retries) before it gives up cleanly."""
    res = RateResult(rate)
    rng = random.Random(seed)
    watch = Stopwatch()
    expected: dict[str, _Image] = {}
    unknown: set[str] = set()  # names an earlier problem touched: their content is unknown
    retry: tuple[str, _Image] | None = None
    dev: Line
    # localhost answers in milliseconds: short timeouts keep thousands of pushes quick
    timeout, slow_timeout = 0.1, 0.3
    if device == "qemu":
        dev = QemuLine(work / f"ram-{rate:g}.img").start()
        timeout, slow_timeout = QemuLine.timeout, QemuLine.slow_timeout
    else:
        dev = PosixDevice(work / f"flash-{rate:g}.bin", variant=variant).start()
    try:
        for _ in range(pushes):
            if retry is not None and rng.random() < 0.5:
                name, img = retry
            else:
                name = rng.choice(NAMES)
                tag = rng.getrandbits(63)
                img = _Image(tagged_module(tag, rng.choice(SIZES), seed=tag), tag)
            retry = None
            old = expected.get(name)
            faulty = FaultyTransport(TcpTransport(dev.url), rate, seed=rng.getrandbits(32))
            c = DeviceClient(faulty, timeout=timeout, retries=retries,
                             slow_timeout=slow_timeout)
            ok = False
            try:
                r = c.push(name, img.data)
                ok = True
                res.succeeded += 1
                res.retransmits += r.retransmits
                res.resumed += r.resumed_from > 0
            except DeviceError:
                res.failed_cleanly += 1
                retry = (name, img)
            except Exception as e:  # counted and reported: a host-side bug
                res.other_error += 1
                res.problems.append(f"push raised {type(e).__name__}: {e}")
            finally:
                faulty.close()
            res.pushes += 1
            res.faults += faulty.stats.total()
            res.bytes_pushed += len(img.data)
            try:
                good, now = _check(dev, expected, name, [img] if ok else [old, img], res,
                                   old_unknown=not ok and name in unknown)
            except DeviceError:
                dev.restart()
                good, now = False, None
            if not good:  # forget what the problem touched: later checks stay meaningful
                expected.pop(name, None)
                unknown.add(name)
            elif now is img:
                expected[name] = img
                unknown.discard(name)
                retry = None
            if not dev.alive():
                res.stopped_answering += 1
                res.problems.append("device process died")
                dev.restart()
    finally:
        dev.stop()
    res.seconds = round(watch.seconds(), 1)
    return res


def campaign(pushes: int, rates: Sequence[float], seed: int = 1,
             variant: str = "asan", device: str = "posix") -> list[RateResult]:
    """One device per rate, all rates at once (the pushes mostly wait on timeouts)."""
    with tempfile.TemporaryDirectory(prefix="wasmote-serial-") as tmp, \
            ThreadPoolExecutor(max_workers=len(rates)) as pool:
        print(f"{len(rates)} rates x {pushes} pushes ...", file=sys.stderr, flush=True)
        futs = [pool.submit(run_rate, rate, pushes, seed * 1000 + k, variant, Path(tmp),
                            device)
                for k, rate in enumerate(rates)]
        return [f.result() for f in futs]


def report(results: Sequence[RateResult]) -> str:
    t = Table(["fault rate/byte", "pushes", "succeeded", "failed cleanly", "wrong module",
               "stopped answering", "other error", "resumed", "faults injected",
               "retransmits", "seconds"])
    for r in results:
        t.add(f"{r.rate:g}", r.pushes, r.succeeded, r.failed_cleanly, r.wrong_module,
              r.stopped_answering, r.other_error, r.resumed, r.faults, r.retransmits,
              r.seconds)
    tot = Table(["total pushes", "succeeded", "failed cleanly", "wrong module",
                 "stopped answering", "other error"])
    tot.add(sum(r.pushes for r in results), sum(r.succeeded for r in results),
            sum(r.failed_cleanly for r in results), sum(r.wrong_module for r in results),
            sum(r.stopped_answering for r in results), sum(r.other_error for r in results))
    lines = [t.render(), "", tot.render()]
    for r in results:
        lines += [f"  {r.rate:g}: {p}" for p in r.problems[:10]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.serial_faults",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pushes", type=int, default=1000, help="pushes per error rate")
    ap.add_argument("--rates", type=float, nargs="+", default=list(RATES),
                    help=f"fault probabilities per byte (default {' '.join(map(str, RATES))})")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", choices=("asan", "release"), default="asan",
                    help="posix device build (default asan: memory errors end the device)")
    ap.add_argument("--device", choices=("posix", "qemu"), default="posix",
                    help="the posix device, or the riscv32-virt firmware under QEMU")
    args = ap.parse_args(argv)
    results = campaign(args.pushes, args.rates, args.seed, args.variant, args.device)
    print(report(results))
    save_report("serial_faults" if args.device == "posix" else "serial_faults_qemu",
                [asdict(r) for r in results])
    bad = sum(r.wrong_module + r.stopped_answering + r.other_error for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
