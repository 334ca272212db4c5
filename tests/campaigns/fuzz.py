"""Coverage-guided fuzzing of the device-side C with libFuzzer (clang, ASan + UBSan).

Targets (fuzz/*.c, each documents its input format and oracles):
  load     the loader, validator, instantiation and interpreter (core/runtime)
  frame    COBS/CRC frame decoder, request dispatcher, module store, config area and
           supervisor, driven through core/device/device.h on RAM-emulated NOR flash
  package  package container and manifest parser, signature policy and Ed25519 check,
           install (load + link + instantiate) and host API calls (core/sandbox, crypto)
  hostcalls  the host calls a module makes, with hostile arguments: peripherals (on the
           posix port's simulated buses), gpio, kv, pubsub, WASI and AssemblyScript imports

Seeds come from the spec suite, the project's own modules and real C programs compiled to
wasm; fuzz/regressions/<target>/ keeps one input per fixed finding (the normal test suite
runs them all, tests/campaigns/test_fuzz_smoke.py).

    python -m tests.campaigns.fuzz --minutes 10              # every target, 10 min each
    python -m tests.campaigns.fuzz --minutes 2 --target frame --coverage

Prints executions, libFuzzer's cov/ft, corpus size and findings per target and, with
--coverage, line coverage of the fuzzed files (llvm-cov over the final corpus).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.campaigns.common import (
    CampaignError,
    Stopwatch,
    Table,
    c_modules,
    chunks,
    save_report,
    spec_modules,
    wat_modules,
)
from tests.campaigns.hostcall_seeds import hostcall_seeds
from wasmote.build_desc import build_desc
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR, REPO_ROOT
from wasmote.posix_build import POSIX_DEFINES

FUZZ_DIR = REPO_ROOT / "fuzz"
REGRESSIONS = FUZZ_DIR / "regressions"
OUT = BUILD_DIR / "fuzz"
CORE = FIRMWARE_DIR / "src" / "core"
INCLUDE = FIRMWARE_DIR / "include"

# The core components the targets exercise (of firmware/build.json's; aot/ and periph/ stay
# out: native code and peripheral drivers do not run on the host, except the bit-bang I2C
# master, which fuzz_hostcalls links through its Target.extra to drive the simulated bus).
COMPONENTS = ("base", "runtime", "protocol", "store", "crypto", "sandbox", "device",
              "supervisor", "random")
# core objects: sanitizers + coverage instrumentation, no libFuzzer main; harness: the main.
FLAVORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "asan": (("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=fuzzer-no-link,address,undefined",
              "-fno-sanitize-recover=all"),
             ("-fsanitize=fuzzer,address,undefined",)),
    # for line coverage of the corpus (llvm-cov): no sanitizers, profile instrumentation
    "cov": (("-O1", "-g", "-fsanitize=fuzzer-no-link", "-fprofile-instr-generate",
             "-fcoverage-mapping"),
            ("-fsanitize=fuzzer", "-fprofile-instr-generate")),
}


@dataclass(frozen=True)
class Target:
    name: str
    max_len: int
    focus: tuple[str, ...]  # core files (relative to src/core) whose line coverage we report
    wrap: tuple[str, ...] = ()  # core functions the harness interposes (-Wl,--wrap=NAME)
    # sources outside COMPONENTS linked into this target only (relative to firmware/src)
    extra: tuple[str, ...] = ()

    @property
    def source(self) -> Path:
        return FUZZ_DIR / f"fuzz_{self.name}.c"


TARGETS: dict[str, Target] = {
    "load": Target("load", 65536, ("runtime/reader.c", "runtime/loader.c", "runtime/validate.c",
                                   "runtime/instance.c", "runtime/interp.c", "runtime/api.c",
                                   "runtime/float.c", "runtime/predecode.c",
                                   "runtime/interp_pd.c", "runtime/pd_trace.c")),
    "frame": Target("frame", 16384, ("protocol/cobs.c", "base/wm_crc32.c", "protocol/frame.c",
                                     "protocol/protocol.c", "store/store.c",
                                     "device/device.c", "supervisor/supervisor.c",
                                     "supervisor/sup_run.c", "supervisor/keys.c",
                                     "supervisor/crash.c", "supervisor/sup_form.c",
                                     "sandbox/kv.c"),
                    # the oracle sees every call the device makes into the runtime
                    wrap=("wm_call",)),
    "package": Target("package", 65536, ("sandbox/package.c", "sandbox/policy.c",
                                         "sandbox/link.c", "sandbox/sandbox.c",
                                         "sandbox/hostapi.c", "crypto/ed25519.c",
                                         "crypto/ge25519.c", "crypto/sc25519.c")),
    "hostcalls": Target("hostcalls", 4096, ("sandbox/periph_api.c", "sandbox/periph_target.c",
                                            "sandbox/hostapi.c", "sandbox/pubsub.c",
                                            "sandbox/wasi/wasi_fd.c", "sandbox/wasi/wasi_proc.c",
                                            "sandbox/wasi/assemblyscript.c",
                                            "periph/i2c_bitbang.c"),
                        # the simulated buses of the posix port and its bit-bang I2C master
                        extra=("core/periph/i2c_bitbang.c", "port/posix/sim_periph.c")),
}


# ---- building -------------------------------------------------------------------------------

def _clang() -> str:
    for name in ("clang", "clang-14"):
        path = shutil.which(name)
        if path:
            return path
    raise CampaignError("clang not found (scripts/bootstrap.sh installs clang and "
                        "libclang-rt-14-dev)")


def _headers_key() -> bytes:
    h = hashlib.sha256()
    for f in sorted([*INCLUDE.rglob("*.h"), *(FIRMWARE_DIR / "src").rglob("*.h")]):
        h.update(str(f).encode() + b"\0" + f.read_bytes())
    return h.digest()


def _compile(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CampaignError(f"{what} failed:\n{(proc.stderr + proc.stdout)[-3000:]}")


def compile_flags(flavor: str) -> list[str]:
    """The fuzzers' compile flags: the build description's (-std, warnings, defines, include
    path), the host builds' defines (posix_build.POSIX_DEFINES: the pre-decoder, which
    fuzz_load and fuzz_frame then drive too) and the flavor's instrumentation."""
    desc = build_desc()
    return [*desc.common_flags(), *POSIX_DEFINES, *FLAVORS[flavor][0], *desc.include_flags()]


def build(target: str, flavor: str = "asan") -> Path:
    """The libFuzzer binary of `target` (core objects cached per source, shared by all
    targets of a flavor)."""
    ldflags = FLAVORS[flavor][1]
    cc = _clang()
    out = OUT / flavor
    obj_dir = out / "obj"
    obj_dir.mkdir(parents=True, exist_ok=True)
    flags = compile_flags(flavor)
    hk = _headers_key()
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        jobs = []
        objs = []
        for src in sorted(s for c in COMPONENTS for s in (CORE / c).rglob("*.c")):
            rel = src.relative_to(CORE)
            obj = obj_dir / (str(rel).replace("/", "__")[:-2] + ".o")
            key = hashlib.sha256(hk + " ".join([cc, *flags]).encode()
                                 + src.read_bytes()).hexdigest()
            stamp = obj.with_suffix(".key")
            objs.append(obj)
            if not (obj.is_file() and stamp.is_file() and stamp.read_text() == key):
                jobs.append((src, obj, stamp, key))

        def one(job: tuple[Path, Path, Path, str]) -> None:
            src, obj, stamp, key = job
            _compile([cc, *flags, "-c", str(src), "-o", str(obj)],
                     f"compiling {src.relative_to(REPO_ROOT)}")
            stamp.write_text(key)

        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 2)) as pool:
            list(pool.map(one, jobs))
        lib = out / "libcore.a"
        if jobs or not lib.is_file():
            lib.unlink(missing_ok=True)
            _compile(["ar", "rcs", str(lib), *(str(o) for o in objs)], "archiving the core")
        exe = out / f"fuzz_{target}"
        src = TARGETS[target].source
        extra = [str(FIRMWARE_DIR / "src" / e) for e in TARGETS[target].extra]
        ldflags = (*ldflags, *(f"-Wl,--wrap={f}" for f in TARGETS[target].wrap))
        key = hashlib.sha256(lib.read_bytes() + hk + src.read_bytes()
                             + b"".join(Path(e).read_bytes() for e in extra)
                             + " ".join([cc, *flags, *ldflags]).encode()).hexdigest()
        stamp = exe.with_suffix(".key")
        if not (exe.is_file() and stamp.is_file() and stamp.read_text() == key):
            _compile([cc, *flags, *ldflags, str(src), *extra, str(lib), "-o", str(exe)],
                     f"building fuzz_{target}")
            stamp.write_text(key)
    return exe


# ---- seed corpora ----------------------------------------------------------------------------

def _u16(n: int) -> bytes:
    return struct.pack("<H", n)


def frame_request(msg: int, body: bytes = b"", flags: int = 0) -> bytes:
    """A record of fuzz_frame.c's input: one request frame."""
    return bytes([msg & 0x3F, flags]) + _u16(len(body)) + body


def frame_raw(data: bytes) -> bytes:
    return b"".join(bytes([0x80, len(c)]) + c for c in chunks(data, 255))


def frame_push(slot: int, image: bytes, flags: int = 0, wrong_hash: bool = False,
               commit: bool = True) -> bytes:
    op = 0xC0 | (slot & 7) | (0x08 if wrong_hash else 0) | (0 if commit else 0x10)
    return bytes([op, flags]) + _u16(len(image)) + image


FRAME_REBOOT = b"\xe0"


def _exports(wasm: bytes) -> list[tuple[str, tuple[int, ...]]]:
    from wasmote.wasm.reader import read_module
    try:
        mod = read_module(wasm)
    except Exception:  # a seed that does not read gets no RUN records
        return []
    types = mod.func_type_indices()
    out = []
    for e in mod.exports:
        if e.kind == 0 and e.index < len(types) and types[e.index] < len(mod.types):
            out.append((e.name, mod.types[types[e.index]].params))
    return out


def _frame_seeds(modules: list[bytes]) -> list[bytes]:
    from wasmote.device import protocol as p
    seeds = []
    for i, wasm in enumerate(modules):
        s = bytearray(frame_request(p.Msg.INFO))
        s += frame_push(i % 8, wasm, flags=i % 2)
        s += frame_request(p.Msg.LIST, b"\0\0")
        name = f"m{i % 8}"
        for export, params in _exports(wasm)[:4]:
            # each parameter's own type byte, references too (the device must refuse those)
            body = p.str8(name) + p.str8(export) + bytes([len(params)])
            body += b"".join(struct.pack("<BQ", t, 0x4141414141414141) for t in params)
            s += frame_request(p.Msg.RUN, body)
        s += frame_request(p.Msg.START, p.str8(name))
        s += frame_request(p.Msg.BRIDGE_IN, p.bridge_in_body("t/x", b"hi"))
        s += frame_request(p.Msg.LOGS)
        s += frame_request(p.Msg.STOP, p.str8(name))
        s += FRAME_REBOOT
        s += frame_push((i + 1) % 8, wasm, commit=i % 3 != 0)
        s += frame_request(p.Msg.REMOVE, p.str8(name))
        s += frame_request(p.Msg.RESET)
        s += frame_request(p.Msg.LIST, b"\0\0")
        seeds.append(bytes(s))
    # protocol corner cases: garbage, a chunk without a push, a wrong hash, a half push
    data = modules[0] if modules else b"\0asm\1\0\0\0"
    seeds.append(frame_raw(b"\x01\x02\x00garbage\x00" + bytes(range(1, 256)))
                 + frame_request(p.Msg.INFO))
    seeds.append(frame_request(p.Msg.PUSH_CHUNK, b"\0\0\0\0" + data[:64])
                 + frame_request(p.Msg.PUSH_COMMIT))
    seeds.append(frame_push(0, data, wrong_hash=True) + frame_request(p.Msg.LIST, b"\0\0"))
    seeds.append(frame_push(1, data, commit=False) + FRAME_REBOOT
                 + frame_push(1, data) + frame_request(p.Msg.LIST, b"\0\0"))
    # packages (the supervisor's sandbox install), autostarted, then a watchdog reset; each
    # named as the slot it is pushed to (a module runs only under its own name), and some
    # claiming the name of another slot, which the device must refuse (issue 14 item 7)
    pkgs = _package_seeds(modules[:12], raw=True, names=lambda i: f"m{i % 8}")
    for i, pkg in enumerate(pkgs):
        slot = i // 2 % 8
        seeds.append(frame_push(slot, pkg, flags=1) + frame_request(p.Msg.LIST, b"\0\0")
                     + b"\xe1" + frame_request(p.Msg.INFO)
                     + frame_request(p.Msg.RUN, p.run_body(f"m{slot}", "run", []))
                     + frame_push((slot + 1) % 8, pkg)
                     + frame_request(p.Msg.RUN, p.run_body(f"m{(slot + 1) % 8}", "run", []))
                     + frame_request(p.Msg.REMOVE, p.str8(f"m{(slot + 1) % 8}")))
    seeds.append(frame_request(p.Msg.PROVISION,
                               p.provision_body(0, [(bytes(range(32)), p.ROLES_ALL)]))
                 + frame_request(p.Msg.INFO))
    # a provisioned device: requests without a token, with a malformed or a stale one
    provisioned = frame_request(p.Msg.PROVISION,
                                p.provision_body(0, [(bytes(range(32)), p.ROLES_ALL)]))
    fake = bytes(range(32)) + bytes(p.AUTH_NONCE_BYTES) + bytes(64)
    seeds.append(provisioned + frame_request(p.Msg.NONCE)
                 + frame_request(p.Msg.LIST, b"\0\0")
                 + frame_request(p.Msg.LIST, b"\0\0" + fake, flags=p.FRAME_FLAG_AUTH)
                 + frame_request(p.Msg.SUBSCRIBE, b"\x3c\0" + fake, flags=p.FRAME_FLAG_AUTH)
                 + frame_request(p.Msg.BRIDGE_IN, p.bridge_in_body("t/x", b"hi"))
                 + frame_request(p.Msg.RUN, p.run_body("m0", "run", []) + fake[:40],
                                 flags=p.FRAME_FLAG_AUTH)
                 + frame_request(p.Msg.PROVISION, p.provision_body(0, []) + fake,
                                 flags=p.FRAME_FLAG_AUTH)
                 + frame_request(p.Msg.INFO))
    return seeds


def _package_seeds(modules: list[bytes], raw: bool = False,
                   names: Callable[[int], str] | None = None) -> list[bytes]:
    """fuzz_package.c inputs (mode byte + package); `raw`: just packages, for pushes (an
    unsigned and a signed one per module); `names`: module i's manifest name."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from wasmote.package.capabilities import parse_capabilities
    from wasmote.package.container import Package
    from wasmote.package.keys import sign_package
    from wasmote.package.manifest import Limits, Manifest, Version, encode_manifest

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # the golden test key
    caps = parse_capabilities(["log", "time", "sleep", "kv", "gpio:led0", "pubsub:sensors/*"])
    seeds: list[bytes] = []
    for golden in [] if raw else sorted((REPO_ROOT / "tests" / "package" / "golden").glob("*.wmp")):
        data = golden.read_bytes()
        seeds += [b"\0" + data, b"\5" + data]
    for i, wasm in enumerate(modules):
        name = names(i) if names is not None else ("p" if i % 3 == 0 else "m") + str(i)
        m = Manifest(name=name, version=Version.parse(f"1.{i % 4}.0"), capabilities=caps,
                     entry=next((e for e, _ in _exports(wasm)
                                 if 0 < len(e) <= 32 and all(0x21 <= ord(c) <= 0x7E for c in e)),
                                ""),
                     limits=Limits(memory_bytes=131072, stack_bytes=8192,
                                   fuel_per_slice=2000, kv_bytes=256))
        pkg = Package(m, wasm)
        if raw:
            seeds += [pkg.to_bytes(), sign_package(pkg, key).to_bytes()]
            continue
        seeds += [b"\0" + pkg.to_bytes(), b"\4" + pkg.to_bytes(),
                  b"\5" + sign_package(pkg, key).to_bytes()]
        if i < 8:
            seeds.append(b"\2" + encode_manifest(m))
    if raw:
        return seeds
    for arg in (b"led0", b"sensors/*", b"*", b"a/b/c", b"a//b", b"x" * 33):
        seeds.append(b"\3" + arg)
    signed = sign_package(Package(Manifest(name="sig", version=Version.parse("1.0.0")),
                                  b"\0asm\1\0\0\0"), key).to_bytes()
    sig = signed[-108:]  # algorithm + reserved, key, signature
    seeds.append(b"\6" + sig[4:36] + sig[36:100] + b"message")
    return seeds


def write_seeds(target: str, dest: Path, full: bool = True) -> int:
    """Seed corpus of `target` into `dest` (replaced). `full` adds real C programs."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if target == "hostcalls":  # its own package: sessions of calls, no modules
        return _write_unique(dest, hostcall_seeds())
    work = OUT / "wat"
    own = [p.read_bytes() for p in wat_modules(work)]
    if full:
        own += [p.read_bytes() for p in c_modules()]
    if target == "load":
        items = [p.read_bytes() for p in spec_modules()] + own
    else:
        # small valid modules with exports: the project's own plus some of the spec suite
        small = [m for m in own if len(m) < 12000]
        spec = [p.read_bytes() for p in spec_modules()[::40]]
        pool = small + [m for m in spec if len(m) < 4000]
        items = _frame_seeds(pool) if target == "frame" else _package_seeds(pool)
    return _write_unique(dest, items)


def _write_unique(dest: Path, items: Sequence[bytes]) -> int:
    seen = set()
    for data in items:
        h = hashlib.sha1(data).hexdigest()
        if h not in seen:
            seen.add(h)
            (dest / h).write_bytes(data)
    return len(seen)


# ---- running ---------------------------------------------------------------------------------

@dataclass
class FuzzResult:
    target: str
    seconds: float
    execs: int
    exec_per_sec: int
    cov: int
    ft: int
    corpus: int
    seeds: int
    findings: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)  # slow-unit-*: reported, not failures
    line_coverage: dict[str, tuple[int, int]] = field(default_factory=dict)


_STATUS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def regression_inputs(target: str) -> list[Path]:
    d = REGRESSIONS / target
    return sorted(p for p in d.iterdir() if p.is_file()) if d.is_dir() else []


def run_inputs(exe: Path, inputs: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    """Each input once (libFuzzer's file mode): exit 0 iff none crashes or reports."""
    return subprocess.run([str(exe), *(str(p) for p in inputs)], capture_output=True,
                          text=True, check=False, timeout=600)


def fuzz(target: str, exe: Path, *, seconds: int | None = None, runs: int | None = None,
         corpus: Path, seed_dirs: Sequence[Path], artifacts: Path, seed: int = 0,
         nice: bool = True) -> FuzzResult:
    """One libFuzzer session; new inputs go to `corpus`, crashes to `artifacts`."""
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    before = set(artifacts.iterdir())
    cmd = [*(["nice", "-n", "10"] if nice else []), str(exe), f"-max_len={TARGETS[target].max_len}",
           # a unit longer than this is a finding (a hang); ASan builds on a shared, busy
           # machine run several times slower than alone, hence the margin
           "-timeout=30", "-report_slow_units=5", "-rss_limit_mb=2048",
           "-print_final_stats=1",
           f"-artifact_prefix={artifacts}/", f"-seed={seed}"]
    cmd += [f"-max_total_time={seconds}"] if seconds is not None else []
    cmd += [f"-runs={runs}"] if runs is not None else []
    cmd += [str(corpus), *(str(d) for d in seed_dirs if d.is_dir())]
    watch = Stopwatch()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          timeout=(seconds or 600) + 600)
    err = proc.stderr
    status = _STATUS.findall(err)
    execs = re.search(r"stat::number_of_executed_units:\s+(\d+)", err)
    rate = re.search(r"stat::average_exec_per_sec:\s+(\d+)", err)
    last = status[-1] if status else ("0", "0", "0", "0")
    new = sorted(set(artifacts.iterdir()) - before)
    findings = [str(p) for p in new if not p.name.startswith("slow-unit-")]
    slow = [str(p) for p in new if p.name.startswith("slow-unit-")]
    if proc.returncode != 0 and not findings:
        findings.append(f"exit {proc.returncode}: {err[-2000:]}")
    nseeds = sum(len(list(d.iterdir())) for d in seed_dirs if d.is_dir())
    return FuzzResult(target, round(watch.seconds(), 1),
                      int(execs.group(1)) if execs else int(last[0]),
                      int(rate.group(1)) if rate else 0, int(last[1]), int(last[2]),
                      len(list(corpus.iterdir())), nseeds, findings, slow)


def line_coverage(target: str, inputs: Sequence[Path]) -> dict[str, tuple[int, int]]:
    """(covered, total) lines per core file, running every input once on the cov build."""
    profdata_tool = shutil.which("llvm-profdata") or shutil.which("llvm-profdata-14")
    cov_tool = shutil.which("llvm-cov") or shutil.which("llvm-cov-14")
    if profdata_tool is None or cov_tool is None:
        raise CampaignError("llvm-cov/llvm-profdata not found (Debian package llvm)")
    exe = build(target, "cov")
    work = OUT / "cov" / target
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = dict(os.environ, LLVM_PROFILE_FILE=str(work / "run-%p.profraw"))
    subprocess.run([str(exe), "-runs=0", "-timeout=20", f"-max_len={TARGETS[target].max_len}",
                    *(str(d) for d in inputs if d.exists())], env=env, capture_output=True,
                   check=False, timeout=3600)
    raws = sorted(work.glob("*.profraw"))
    if not raws:
        raise CampaignError(f"no coverage profile written for {target}")
    prof = work / "merged.profdata"
    subprocess.run([profdata_tool, "merge", "-sparse", *(str(r) for r in raws), "-o", str(prof)],
                   check=True, capture_output=True)
    out = subprocess.run([cov_tool, "export", "-summary-only", f"-instr-profile={prof}", str(exe)],
                         check=True, capture_output=True, text=True).stdout
    result = {}
    for f in json.loads(out)["data"][0]["files"]:
        path = Path(f["filename"])
        try:
            rel = str(path.resolve().relative_to(CORE))
        except ValueError:
            continue
        lines = f["summary"]["lines"]
        result[rel] = (int(lines["covered"]), int(lines["count"]))
    return result


def campaign(targets: Sequence[str], seconds: int, coverage: bool) -> list[FuzzResult]:
    results = []
    for t in targets:
        exe = build(t)
        seeds = OUT / "seeds" / t
        n = write_seeds(t, seeds)
        corpus = OUT / "corpus" / t
        regress = REGRESSIONS / t
        print(f"fuzz_{t}: {n} seeds, {len(regression_inputs(t))} regression inputs, "
              f"{seconds} s ...", file=sys.stderr, flush=True)
        r = fuzz(t, exe, seconds=seconds, corpus=corpus, seed_dirs=[seeds, regress],
                 artifacts=OUT / "artifacts" / t)
        if coverage:
            r.line_coverage = line_coverage(t, [corpus, seeds, regress])
        results.append(r)
    return results


def report(results: Sequence[FuzzResult]) -> str:
    t = Table(["target", "seconds", "executions", "exec/s", "cov", "ft", "corpus", "seeds",
               "findings"])
    for r in results:
        t.add(r.target, r.seconds, r.execs, r.exec_per_sec, r.cov, r.ft, r.corpus, r.seeds,
              len(r.findings))
    out = [t.render()]
    for r in results:
        for f in r.findings:
            out.append(f"  finding in {r.target}: {f}")
        for f in r.slow:
            out.append(f"  slow input (over 5 s, not a failure) in {r.target}: {f}")
    for r in results:
        if not r.line_coverage:
            continue
        c = Table(["file", "lines covered", "of", "%"])
        focus = TARGETS[r.target].focus
        cov_sum = tot_sum = 0
        for name in focus:
            if name in r.line_coverage:
                cov, tot = r.line_coverage[name]
                cov_sum += cov
                tot_sum += tot
                c.add(name, cov, tot, f"{100 * cov / max(tot, 1):.1f}")
        c.add("all of the above", cov_sum, tot_sum, f"{100 * cov_sum / max(tot_sum, 1):.1f}")
        out.append(f"\nline coverage, fuzz_{r.target} corpus:\n{c.render()}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.fuzz", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="per target (default 10)")
    ap.add_argument("--target", action="append", choices=sorted(TARGETS),
                    help="fuzz only this target (repeatable; default all)")
    ap.add_argument("--coverage", action="store_true",
                    help="also measure line coverage of the corpus with llvm-cov")
    args = ap.parse_args(argv)
    try:
        results = campaign(args.target or list(TARGETS), int(args.minutes * 60), args.coverage)
    except CampaignError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report(results))
    save_report("fuzz", [asdict(r) for r in results])
    return 1 if any(r.findings for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
