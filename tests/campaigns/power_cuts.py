"""Power-cut campaign: the device is killed (SIGKILL, no clean-up) at a random moment while
it installs, replaces or removes a module, or while a module writes key-value data; then it
is started again on the same flash and checked:
  - it answers;
  - the module the operation touched is exactly its old or its new image (LIST hash, and
    running its `id` export returns that image's tag), every other module is unchanged;
  - every key of the key-value writer holds its old or its new value, intact (the module
    reads it back and checks its shape);
  - no module's stored pre-decoded form fails its checks (LIST: a form is committed with
    its module, or the module has none);
  - it goes on working (the next trial pushes, runs and writes again).
A store that fails any check counts as inconsistent; the campaign must see none.

Devices:
  posix  the posix device (ASan+UBSan build) with its flash in a file, timed like NOR flash:
         WASMOTE_FLASH_TIMING makes every 256-byte piece of an erase or program take time
         and reach the file on its own, so a kill leaves partly erased or programmed flash
  qemu   the riscv32-virt firmware under QEMU with its RAM (and so the emulated flash) in a
         host file (memory-backend-file, share=on), killed while the emulated CPU works

    python -m tests.campaigns.power_cuts --trials 1000 --qemu-trials 60
    python -m tests.campaigns.power_cuts --trials 50 --device posix
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from tests.campaigns.common import CampaignError, Stopwatch, Table, TcpTransport, save_report
from tests.campaigns.modules import tagged_module
from tests.harness.posix_device import PosixDevice
from tests.harness.transports import ThrottledTransport
from wasmote import config_area
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError, DeviceRefused
from wasmote.device.transport import Transport

HERE = Path(__file__).resolve().parent
NAMES = ("m0", "m1", "m2", "m3", "m4")
SIZES = (700, 3000, 12000, 30000)
# Under QEMU every trial boots the emulated board: smaller images keep trials short. The line
# may be paced like a UART (QemuDevice(baud=...)); by default it is QEMU's TCP serial as is.
QEMU_SIZES = (700, 3000, 12000)
KV_KEYS = 8
KV_NAME = "kvw"
# NOR timing for the posix flash file, microseconds per 256 bytes programmed / erased: about
# a serial NOR chip's (page program ~1 ms, 4 KiB sector erase ~50 ms)
FLASH_TIMING = "1000,3000"


class Device(Protocol):
    url: str
    baud: int | None  # pace the line like a UART of this speed (None: as fast as it goes)

    def start(self) -> object: ...

    def kill(self) -> None: ...

    def stop(self) -> None: ...

    def alive(self) -> bool: ...


# ---- what the host saw when the power went ---------------------------------------------------

class TracingTransport:
    """Remembers the last request sent and whether its answer came back."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.description = inner.description
        self.baud = inner.baud
        self._tx = p.FrameDecoder()
        self._rx = p.FrameDecoder()
        self.last_sent: tuple[int, int] | None = None  # (msg, seq)
        self.answered = False
        self.commit_sent = threading.Event()  # PUSH_COMMIT went out
        self._commit_t = 0.0
        self.commit_took: float | None = None  # until its answer

    def write(self, data: bytes) -> None:
        for f in self._tx.feed(data):
            self.last_sent, self.answered = (int(f.msg), f.seq), False
            if f.msg == p.Msg.PUSH_COMMIT:
                self._commit_t = time.monotonic()
                self.commit_sent.set()
        self.inner.write(data)

    def read(self, timeout: float) -> bytes:
        data = self.inner.read(timeout)
        for f in self._rx.feed(data):
            if self.last_sent and f.type == p.FrameType.RESPONSE and \
                    (int(f.msg), f.seq) == self.last_sent:
                self.answered = True
                if self.last_sent[0] == p.Msg.PUSH_COMMIT:
                    self.commit_took = time.monotonic() - self._commit_t
        return data

    def close(self) -> None:
        self.inner.close()

    def phase(self) -> str:
        if self.last_sent is None:
            return "before the first request"
        name = p.Msg(self.last_sent[0]).name if self.last_sent[0] in set(p.Msg) else "?"
        return f"{name} {'answered' if self.answered else 'in progress'}"


# ---- the state the device must hold -----------------------------------------------------------

@dataclass
class Image:
    data: bytes
    tag: int

    @property
    def sha(self) -> bytes:
        return hashlib.sha256(self.data).digest()


@dataclass
class Model:
    modules: dict[str, Image] = field(default_factory=dict)
    kv: dict[int, int | None] = field(default_factory=lambda: dict.fromkeys(range(KV_KEYS)))


@dataclass
class DeviceResult:
    device: str
    trials: int = 0
    consistent: int = 0
    inconsistent: int = 0
    dead_after_restart: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    by_phase: dict[str, int] = field(default_factory=dict)
    outcome: dict[str, int] = field(default_factory=dict)  # old / new, per operation
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def kv_package(work: Path) -> bytes:
    from wasmote.package.capabilities import parse_capabilities
    from wasmote.package.container import Package
    from wasmote.package.manifest import Limits, Manifest, Version
    wasm = work / "kv_module.wasm"
    subprocess.run(["wat2wasm", str(HERE / "kv_module.wat"), "-o", str(wasm)], check=True,
                   capture_output=True)
    # The largest write budget the devices (64 KiB config areas) admit: a trial writes at
    # most a burst of 8 records plus a calibration's 9, within one bucket, which every
    # restart refills.
    m = Manifest(name=KV_NAME, version=Version.parse("1.0.0"),
                 capabilities=parse_capabilities(["kv"]),
                 limits=Limits(memory_bytes=65536, fuel_per_slice=100000, kv_bytes=4096,
                               kv_write_per_hour=config_area.write_capacity(64 * 1024, 4096)))
    return Package(m, wasm.read_bytes()).to_bytes()


def kv_length(v: int) -> int:
    return 8 + v % 193


def _line(dev: Device) -> Transport:
    t = TcpTransport(dev.url, open_timeout=20.0)
    return t if dev.baud is None else ThrottledTransport(t, dev.baud)


def _client(dev: Device, timeout: float = 2.0) -> DeviceClient:
    """A client once the device answers: a booting QEMU guest may drop the first bytes, so
    INFO is tried with a short timeout first (up to 20 s)."""
    c = DeviceClient(_line(dev), timeout=0.25, retries=80)
    try:
        c.info()
    except BaseException:
        c.transport.close()
        raise
    c.timeout, c.retries = timeout, 3
    return c


def check(dev: Device, model: Model, touched: str | None, allowed: list[Image | None],
          kv_allowed: dict[int, list[int | None]]) -> tuple[bool, str, str]:
    """(consistent, outcome 'old'/'new'/'-', problem) and updates `model` to what is held."""
    c = _client(dev)
    try:
        c.info()
        return _check(c, model, touched, allowed, kv_allowed)
    except DeviceRefused as e:  # it answers, but will not run a module that must run
        return False, "-", f"refused: {e}"
    finally:
        c.transport.close()


def _check(c: DeviceClient, model: Model, touched: str | None, allowed: list[Image | None],
           kv_allowed: dict[int, list[int | None]]) -> tuple[bool, str, str]:
    listed = c.modules(detail=True)
    held = {m.name: m.sha256 for m in listed}
    outcome = "-"
    # a pre-decoded form is committed with its module or not at all: never half (issue 20)
    refused = [m.name for m in listed if m.code == "in place (form refused)"]
    if refused:
        return False, outcome, f"{refused}: a stored pre-decoded form does not check out"
    if touched is not None:
        got = held.get(touched)
        matches = [a for a in allowed if (a.sha if a else None) == got]
        if not matches:
            return False, outcome, f"{touched}: holds {got.hex() if got else None}"
        outcome = "new" if matches[-1] is allowed[-1] else "old"
        if matches[-1] is None:
            model.modules.pop(touched, None)
        else:
            model.modules[touched] = matches[-1]
    for name, img in model.modules.items():
        if held.get(name) != img.sha:
            return False, outcome, f"{name} changed (touched: {touched})"
        vals = c.run(name, "id", [])
        if [v.bits for v in vals] != [img.tag]:
            return False, outcome, f"{name} runs {vals}, expected tag {img.tag}"
    extra = set(held) - set(model.modules) - {KV_NAME}
    if extra:
        return False, outcome, f"unexpected modules {sorted(extra)}"
    fresh = []
    for k in range(KV_KEYS):
        v, n = (x.bits for x in c.run(KV_NAME, "get", [p.WireValue("i32", k)]))
        value = None if v == (1 << 64) - 1 else v
        if v == (1 << 64) - 2:
            return False, outcome, f"key{k}: torn value of {n} bytes"
        choices = kv_allowed.get(k, [model.kv[k]])
        if value not in choices or (value is not None and n != kv_length(value)):
            return False, outcome, f"key{k}: holds {value} ({n} bytes), allowed {choices}"
        if k in kv_allowed:
            fresh.append(value == kv_allowed[k][-1] != kv_allowed[k][0])
        model.kv[k] = value
    if fresh:
        outcome = "new" if all(fresh) else "old" if not any(fresh) else "partly new"
    return True, outcome, ""


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


# ---- one trial ------------------------------------------------------------------------------

@dataclass
class Operation:
    kind: str                       # install / replace / remove / kv / kv-burst
    name: str | None = None
    image: Image | None = None
    kv_key: int | None = None       # kv: the key written; kv-burst: all 8, values v + k
    kv_value: int | None = None

    def kv_writes(self) -> dict[int, int]:
        assert self.kv_value is not None
        if self.kind == "kv-burst":
            return {k: self.kv_value + k for k in range(KV_KEYS)}
        assert self.kv_key is not None
        return {self.kv_key: self.kv_value}

    def run(self, c: DeviceClient) -> None:
        if self.kind in ("install", "replace"):
            assert self.name is not None and self.image is not None
            c.push(self.name, self.image.data)
        elif self.kind == "remove":
            assert self.name is not None
            c.remove(self.name)
        elif self.kind == "kv-burst":
            assert self.kv_value is not None
            c.run(KV_NAME, "put_all", [p.WireValue("i64", self.kv_value)])
        else:
            assert self.kv_key is not None and self.kv_value is not None
            c.run(KV_NAME, "put", [p.WireValue("i32", self.kv_key),
                                   p.WireValue("i64", self.kv_value)])


def choose(rng: random.Random, model: Model, sizes: Sequence[int] = SIZES) -> Operation:
    present = sorted(model.modules)
    absent = [n for n in NAMES if n not in model.modules]
    kinds = ["kv", "kv-burst"] + (["install"] if absent else []) + \
        (["replace", "remove"] if present else [])
    kind = rng.choice(kinds)
    if kind.startswith("kv"):
        return Operation(kind, kv_key=rng.randrange(KV_KEYS), kv_value=rng.getrandbits(62))
    name = rng.choice(absent if kind == "install" else present)
    if kind == "remove":
        return Operation("remove", name)
    tag = rng.getrandbits(62)
    return Operation(kind, name, Image(tagged_module(tag, rng.choice(sizes), seed=tag), tag))


@dataclass
class Timing:
    """How long operations take uninterrupted, measured on uncut calibration operations every
    CALIBRATE trials (not from the trials the kill came too late for: those are the short
    ones, and learning from them would shrink the window toward the start of each operation).
    Kill moments are drawn from [0, 1.2 x that]."""

    op: dict[str, float] = field(default_factory=dict)
    commit: float = 0.005

    def learn(self, kind: str, took: float | None, commit: float | None) -> None:
        if took is not None:
            self.op[kind] = 0.8 * self.op.get(kind, took) + 0.2 * took
        if commit is not None:
            self.commit = 0.8 * self.commit + 0.2 * commit


def trial(dev: Device, model: Model, op: Operation, rng: random.Random, timing: Timing,
          res: DeviceResult, window: int = 8) -> None:
    """Runs `op`, kills the device at a random moment, restarts and checks it. A third of
    the pushes are cut inside PUSH_COMMIT (hash, validation, commit word, deleting the old
    copy), which is short next to erasing and programming but where a store is at risk; half
    the key-value writes are cut near the end of the RUN, where the writes are."""
    tracer = TracingTransport(_line(dev))
    c = DeviceClient(tracer, timeout=5.0, retries=0, slow_timeout=5.0, window=window)
    took: list[float] = []
    failure: list[str] = []

    def work() -> None:
        t0 = time.monotonic()
        try:
            op.run(c)
            took.append(time.monotonic() - t0)
        except DeviceError:
            pass  # the line went dead under it, or the device refused (no space): fine
        except Exception as e:  # a host library bug: reported
            failure.append(f"{op.kind}: host raised {type(e).__name__}: {e}")

    at_commit = op.kind in ("install", "replace") and rng.random() < 1 / 3
    th = threading.Thread(target=work)
    th.start()
    if at_commit:
        tracer.commit_sent.wait(timeout=1.5 * timing.op[op.kind] + 1.0)
        time.sleep(rng.uniform(0, 1.5 * timing.commit))
    elif op.kind.startswith("kv") and rng.random() < 0.5:
        # the flash writes come last in a RUN (after loading and instantiating the writer):
        # half the kv cuts aim at the end of it
        time.sleep(rng.uniform(0.6, 1.05) * timing.op[op.kind])
    else:
        time.sleep(rng.uniform(0, 1.2 * timing.op[op.kind]))
    dev.kill()
    th.join(30)
    tracer.close()
    res.trials += 1
    _bump(res.by_operation, op.kind)
    _bump(res.by_phase, f"{op.kind}: {tracer.phase()}")
    res.problems += failure
    timing.learn(op.kind, None, tracer.commit_took)
    dev.stop()
    try:
        dev.start()
    except Exception as e:  # the device did not come back: reported
        res.dead_after_restart += 1
        res.problems.append(f"restart failed after {op.kind}: {e}")
        raise
    if op.kind.startswith("kv"):
        args: tuple[str | None, list[Image | None], dict[int, list[int | None]]] = (
            None, [], {k: [model.kv[k], v] for k, v in op.kv_writes().items()})
    else:
        assert op.name is not None
        old = model.modules.get(op.name)
        new = None if op.kind == "remove" else op.image
        args = (op.name, [old, new], {})
    try:
        ok, outcome, problem = check(dev, model, *args)
    except DeviceError as e:
        res.dead_after_restart += 1
        res.problems.append(f"no answer after a cut during {op.kind}: {e}")
        return
    if ok:
        res.consistent += 1
        _bump(res.outcome, f"{op.kind}: {outcome}")
    else:
        res.inconsistent += 1
        res.problems.append(f"{op.kind} ({tracer.phase()}): {problem}")
        resync(dev, model)


def resync(dev: Device, model: Model) -> None:
    """After a reported problem: adopt what the device holds so later trials stay meaningful."""
    c = _client(dev)
    try:
        held = {m.name for m in c.modules()}
        for name in list(model.modules):
            if name not in held:
                del model.modules[name]
        for name in held - set(model.modules) - {KV_NAME}:
            c.remove(name)
        for k in range(KV_KEYS):
            v = c.run(KV_NAME, "get", [p.WireValue("i32", k)])[0].bits
            model.kv[k] = None if v >= (1 << 63) else v
    finally:
        c.transport.close()


CALIBRATE = 25


def calibrate(dev: Device, model: Model, timing: Timing, rng: random.Random,
              sizes: Sequence[int], window: int) -> None:
    """Times each kind of operation uncut (a module "cal" outside the campaign's names is
    installed, replaced and removed; the key-value writes are recorded in the model)."""
    c = _client(dev)
    c.window = window
    try:
        size = rng.choice(sizes)
        v = rng.getrandbits(62)
        for op in (Operation("install", "cal", Image(tagged_module(1, size, 1), 1)),
                   Operation("replace", "cal", Image(tagged_module(2, size, 2), 2)),
                   Operation("remove", "cal"), Operation("kv", kv_key=v % KV_KEYS, kv_value=v),
                   Operation("kv-burst", kv_value=v)):
            t0 = time.monotonic()
            op.run(c)
            took = time.monotonic() - t0
            timing.op[op.kind] = took if op.kind not in timing.op else \
                0.5 * timing.op[op.kind] + 0.5 * took
            if op.kind.startswith("kv"):
                model.kv.update(op.kv_writes())
    finally:
        c.transport.close()


def run_device(dev: Device, label: str, trials: int, seed: int, work: Path,
               progress: Callable[[str], None] | None = None, sizes: Sequence[int] = SIZES,
               window: int = 8) -> DeviceResult:
    res = DeviceResult(label)
    rng = random.Random(seed)
    model = Model()
    watch = Stopwatch()
    dev.start()
    try:
        c = _client(dev)
        c.window = window
        c.push(KV_NAME, kv_package(work))
        timing = Timing()
        c.transport.close()
        for i in range(trials):
            if i % CALIBRATE == 0:
                calibrate(dev, model, timing, rng, sizes, window)
            trial(dev, model, choose(rng, model, sizes), rng, timing, res, window)
            if progress and (i + 1) % 50 == 0:
                progress(f"{label}: {i + 1}/{trials} trials, {res.inconsistent} inconsistent")
    finally:
        dev.stop()
    res.seconds = round(watch.seconds(), 1)
    return res


# ---- devices ---------------------------------------------------------------------------------

class PosixPowerDevice(PosixDevice):
    """The posix device on NOR-timed flash (WASMOTE_FLASH_TIMING, set for the campaign)."""

    baud: int | None = None


def posix_device(work: Path) -> PosixPowerDevice:
    os.environ["WASMOTE_FLASH_TIMING"] = FLASH_TIMING  # inherited by the device process
    # with pre-decoded forms: their tails are written under the same cuts (issue 20)
    return PosixPowerDevice(work / "posix-flash.bin", variant="asan", predecode=True)


class QemuDevice:
    """The riscv32-virt firmware under QEMU, its RAM (the store region too) in a file."""

    def __init__(self, elf: Path, ram: Path, baud: int | None = None) -> None:
        self.elf, self.ram = elf, ram
        self.baud = baud
        self.url = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> QemuDevice:
        from wasmote.boards import load_board
        from wasmote.sim import free_port, qemu_command
        port = free_port()
        cmd = qemu_command(load_board("riscv32-virt"), self.elf, port)
        cmd[1:1] = ["-m", "128M", "-object",
                    f"memory-backend-file,id=ram,size=128M,mem-path={self.ram},share=on",
                    "-machine", "memory-backend=ram"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"socket://127.0.0.1:{port}"
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        self.kill()
        self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def qemu_elf() -> Path:
    """The riscv32-virt device firmware the QEMU protocol tests use."""
    try:
        from tests.protocol.test_protocol_qemu import qemu_elf as build
    except ImportError as e:
        raise CampaignError(f"cannot build the QEMU device firmware: {e}") from e
    return build("riscv32-virt")


def campaign(trials: int, devices: Sequence[str], seed: int = 1,
             qemu_trials: int = 60) -> list[DeviceResult]:
    out = []

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="wasmote-powercut-") as tmp:
        work = Path(tmp)
        for k, name in enumerate(devices):
            dev: Device = posix_device(work) if name == "posix" else \
                QemuDevice(qemu_elf(), work / "qemu-ram.img")
            n = trials if name == "posix" else qemu_trials
            say(f"{name}: {n} trials ...")
            if name == "posix":
                out.append(run_device(dev, name, n, seed * 100 + k, work, say))
            else:
                out.append(run_device(dev, name, n, seed * 100 + k, work, say, QEMU_SIZES))
    return out


def report(results: Sequence[DeviceResult]) -> str:
    kinds = ("install", "replace", "remove", "kv", "kv-burst")
    t = Table(["device", "trials", "consistent", "inconsistent", "dead after restart",
               "install", "replace", "remove", "kv write", "kv burst", "seconds"])
    for r in results:
        t.add(r.device, r.trials, r.consistent, r.inconsistent, r.dead_after_restart,
              *(r.by_operation.get(k, 0) for k in kinds), r.seconds)
    lines = [t.render()]
    for r in results:
        lines.append(f"\n{r.device}: where the power went (last request, host's view)")
        ph = Table(["phase", "cuts"])
        for k, v in sorted(r.by_phase.items()):
            ph.add(k, v)
        lines.append(ph.render())
        lines.append(f"{r.device}: what survived: " +
                     ", ".join(f"{k} {v}" for k, v in sorted(r.outcome.items())))
        lines += [f"  problem: {x}" for x in r.problems[:20]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.power_cuts",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=1000, help="cuts on the posix device")
    ap.add_argument("--qemu-trials", type=int, default=60,
                    help="cuts under QEMU (each is a QEMU boot and a slow line: seconds)")
    ap.add_argument("--device", choices=("posix", "qemu"), action="append",
                    help="default: both")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        results = campaign(args.trials, args.device or ["posix", "qemu"], args.seed,
                           args.qemu_trials)
    except CampaignError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report(results))
    save_report("power_cuts", [asdict(r) for r in results])
    return 1 if any(r.inconsistent or r.dead_after_restart for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
