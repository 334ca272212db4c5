"""What the speed benches run: C programs that every engine runs from the same source.

A workload is C code with the entry `uint32_t run(uint32_t n)` (n units of work, a checksum
back). `bench/aot.py` and `bench/interp.py` build each one three ways and compare engines on
it: a wasm module (`zig cc -target wasm32-freestanding -O2`), a host executable (`cc -O2`
with bench/kernels/native_main.c) and a relocatable object for a bare-metal image (the
board's GCC at -O2) whose only global symbol is `run_<name>`, so that many workloads share
one image. Builds are cached under build/bench-workloads/ by a hash of the sources, the
headers beside them and the flags.

Two families:

- the kernels (bench/kernels/*.c): small loops this project wrote;
- the programs nobody here wrote, from ../shared/bench-programs/ (read in place, never
  copied): every Embench-IoT program (`embench_run.c` runs initialise_benchmark, benchmark
  at GLOBAL_SCALE_FACTOR n and verify_benchmark) and CoreMark (`coremark/`: the 2K
  performance run for n iterations, CoreMark's own main() checking its CRCs). Their
  checksum is `result << 1 | verified`: every engine must agree, and `verified` must be 1.
  They link the same small C library (bench/programs/libc.c) on every engine.

A program in the suite's src/ that the table below does not describe (another release) is
built from all its C files; `PROGRAMS_LEFT_OUT` names the programs a bench leaves out, with
the reason (bench/program_probe.py: it does not build freestanding, or does not verify).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from wasmote.paths import BUILD_DIR, REPO_ROOT

KERNEL_DIR = REPO_ROOT / "bench" / "kernels"
PROGRAMS_C = REPO_ROOT / "bench" / "programs"
SHARED_PROGRAMS = REPO_ROOT.parent / "shared" / "bench-programs"
EMBENCH = SHARED_PROGRAMS / "embench-iot"
COREMARK = SHARED_PROGRAMS / "coremark"
WORK_DIR = BUILD_DIR / "bench-workloads"

_ZIG = (sys.executable, "-m", "ziglang", "cc")
_WASM_TARGET = ("-target", "wasm32-freestanding", "-O2", "-nostdlib", "-fno-sanitize=undefined",
                "-ffp-contract=off", "-g0")
WASM_LINK = ("-Wl,--no-entry", "-Wl,-z,stack-size=32768")
# the project's own C: strict; the suites' C: as their authors wrote it
OWN_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror")
SUITE_FLAGS = ("-std=gnu99", "-w")
HOST_FLAGS = ("-O2", "-ffp-contract=off")
# the bare-metal image: what bench/bare_image.py gives the firmware, at -O2
ARM_FLAGS = ("-O2", "-ffreestanding", "-ffp-contract=off", "-ffunction-sections",
             "-fdata-sections")
# a C library must not be compiled into calls to itself (memset's loop into memset)
NO_BUILTIN = ("-fno-builtin",)


class WorkloadBuildError(RuntimeError):
    """A compiler or the shared benchmark programs failed us."""


class WorkloadCheckError(RuntimeError):
    """An engine's result is wrong."""


@dataclass(frozen=True)
class Unit:
    """One C source of a workload and the flags only it gets."""

    path: Path
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workload:
    name: str
    n: int                       # work units of one host run (scaled by --scale)
    what: str
    suite: str = "kernel"        # kernel | Embench-IoT | CoreMark
    m4_n: int = 1                # work units on the Cortex-M4 (QEMU)
    units: tuple[Unit, ...] = ()
    include_dirs: tuple[Path, ...] = ()
    flags: tuple[str, ...] = ()  # every build of every unit (defines, -include)
    own: bool = True             # the project's C (strict warnings)
    # bare-metal flags of the project's own kernels (as they always had them)
    arm_extra: tuple[str, ...] = field(default=())
    # found in the suite's src/ but not described in _EMBENCH (another release): a bench
    # leaves it out, with the reason, when it does not build or verify (bench/program_probe.py)
    discovered: bool = False

    @property
    def lang_flags(self) -> tuple[str, ...]:
        return OWN_FLAGS if self.own else SUITE_FLAGS

    def _key(self, *parts: str) -> str:
        h = hashlib.sha256()
        seen: set[Path] = set()
        dirs = [u.path.parent for u in self.units] + list(self.include_dirs)
        for d in dirs:
            for f in sorted(d.glob("*.[ch]")):
                if f not in seen:
                    seen.add(f)
                    h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
        for u in self.units:
            h.update(str(u.path).encode() + b"\0" + " ".join(u.flags).encode() + b"\0")
        for p in (*self.flags, *parts):
            h.update(p.encode() + b"\0")
        return h.hexdigest()[:16]

    def _check_present(self) -> None:
        missing = [u.path for u in self.units if not u.path.is_file()]
        if missing:
            raise WorkloadBuildError(f"{self.name}: source not found: {missing[0]} (the "
                                     f"benchmark programs are read from {SHARED_PROGRAMS})")

    def _includes(self) -> list[str]:
        return [f"-I{d}" for d in self.include_dirs]

    def _objects(self, compiler: Sequence[str], flags: Sequence[str], out: Path) -> list[Path]:
        self._check_present()
        out.mkdir(parents=True, exist_ok=True)
        objs = []
        for i, u in enumerate(self.units):
            obj = out / f"{i:02d}_{u.path.stem}.o"
            _run([*compiler, *flags, *self.lang_flags, *self.flags, *u.flags,
                  *self._includes(), "-c", str(u.path), "-o", str(obj)])
            objs.append(obj)
        return objs

    def wasm(self) -> Path:
        """The module (cached by sources + flags)."""
        out = WORK_DIR / f"{self.name}.{self._key('wasm', *_WASM_TARGET, *WASM_LINK)}.wasm"
        if out.exists():
            return out
        with _scratch(out) as tmp:
            objs = self._objects(_ZIG, _WASM_TARGET, tmp)
            _run([*_ZIG, *_WASM_TARGET, *WASM_LINK, *map(str, objs), "-o", str(tmp / "m.wasm")],
                 env=_zig_env())
            (tmp / "m.wasm").replace(out)
        return out

    def native(self) -> Path:
        """Host executable printing run(argv[1]) and its wall time in ns (cached)."""
        main = KERNEL_DIR / "native_main.c"
        key = self._key("host", *HOST_FLAGS, main.read_text())
        out = WORK_DIR / f"{self.name}.{key}.native"
        if out.exists():
            return out
        with _scratch(out) as tmp:
            objs = self._objects(("cc",), HOST_FLAGS, tmp)
            _run(["cc", *HOST_FLAGS, *OWN_FLAGS, f"-I{KERNEL_DIR}", str(main),
                  *map(str, objs), "-o", str(tmp / "exe")])
            (tmp / "exe").replace(out)
        return out

    def arm_object(self, toolchain: str, cpu_flags: Sequence[str]) -> Path:
        """One relocatable object for a bare-metal image (`toolchain`-gcc, the board's CPU
        flags): every symbol local but `run`, renamed `run_<name>`; libgcc calls stay
        undefined for the image's link."""
        flags = (*ARM_FLAGS, *cpu_flags, *self.arm_extra)
        key = self._key("arm", toolchain, *flags)
        out = WORK_DIR / f"{self.name}.{key}.{toolchain}.o"
        if out.exists():
            return out
        cname = c_name(self.name)
        with _scratch(out) as tmp:
            objs = self._objects((f"{toolchain}-gcc",), flags, tmp)
            _run([f"{toolchain}-ld", "-r", *map(str, objs), "-o", str(tmp / "all.o")])
            _run([f"{toolchain}-objcopy", "--redefine-sym", f"run=run_{cname}",
                  f"--keep-global-symbol=run_{cname}", str(tmp / "all.o"), str(tmp / "w.o")])
            (tmp / "w.o").replace(out)
        return out


def c_name(name: str) -> str:
    """A workload name as a C identifier (Embench's names have dashes)."""
    return name.replace("-", "_")


class _scratch:
    """A private build directory beside `out`, removed afterwards."""

    def __init__(self, out: Path) -> None:
        self.path = out.with_name(f".{out.name}.{os.getpid()}.tmp")

    def __enter__(self) -> Path:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _zig_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(BUILD_DIR / "zig-cache"))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", str(BUILD_DIR / "zig-cache"))
    return env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False,
                             env=env if env is not None else
                             (_zig_env() if cmd[:4] == list(_ZIG) else None))
    except OSError as e:
        raise WorkloadBuildError(f"cannot run {cmd[0]}: {e.strerror or e}") from None
    if res.returncode != 0:
        raise WorkloadBuildError(f"{' '.join(cmd)}:\n{(res.stderr or res.stdout).strip()}")


# ---- the kernels -------------------------------------------------------------------------


def kernel(name: str, n: int, what: str, m4_n: int = 1) -> Workload:
    # on the M4 the kernels keep the flags bench/bare_image.py gave them in the image
    return Workload(name, n, what, m4_n=m4_n, units=(Unit(KERNEL_DIR / f"{name}.c"),),
                    include_dirs=(KERNEL_DIR,), arm_extra=NO_BUILTIN)


KERNELS: tuple[Workload, ...] = (
    kernel("crc32", 40, "CRC-32 of 16 KiB, table driven"),
    kernel("matmul", 6, "48x48 i32 matrix multiply"),
    kernel("sha256", 20, "SHA-256 of 4 KiB", m4_n=2),
    kernel("quicksort", 3, "quicksort of 10k i32"),
    kernel("fir", 10, "f32 32-tap FIR + biquad, 2048 samples"),
)
MORE_KERNELS: tuple[Workload, ...] = (
    kernel("aes", 8, "AES-128 CBC of 4 KiB (FIPS-197, byte-oriented)"),
    kernel("dct", 6, "JPEG-like 8x8 integer DCT + quantisation, 64x64 image"),
    kernel("crc64k", 1, "CRC-32C of 64 KiB, bitwise (no table)"),
)
EMPTY = kernel("empty", 1, "baseline")


# ---- the programs nobody here wrote ------------------------------------------------------

_LIBC = Unit(PROGRAMS_C / "libc.c", NO_BUILTIN)
_INCLUDE = PROGRAMS_C / "include"

# Embench-IoT: program -> (sources in src/<program>/, extra flags, what it does)
_EMBENCH: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    # GCC for 32-bit ARM has no __int128: every engine runs the suite's portable path
    "aha-mont64": (("mont64.c",), ("-U__SIZEOF_INT128__",), "Montgomery multiplication, 64-bit"),
    "crc32": (("crc_32.c",), (), "CRC-32 of pseudo-random bytes (table driven)"),
    "depthconv": (("depthconv.c",), (), "depthwise convolution, int8 (TFLite micro)"),
    "edn": (("libedn.c",), (), "DSP kernels: FIR, IIR, DCT, codebook search"),
    "huffbench": (("libhuffbench.c",), (), "Huffman compress + decompress"),
    "matmult-int": (("matmult-int.c",), (), "integer matrix multiply"),
    "md5sum": (("md5.c",), (), "MD5 of a message"),
    "nettle-aes": (("nettle-aes.c",), (), "AES (GNU Nettle), encrypt + decrypt"),
    "nettle-sha256": (("nettle-sha256.c",), (), "SHA-256 (GNU Nettle)"),
    "nsichneu": (("libnsichneu.c",), (), "Petri net simulation (huge switch of ifs)"),
    "picojpeg": (("libpicojpeg.c", "picojpeg_test.c"), (), "JPEG decoder"),
    "qrduino": (("qrencode.c", "qrframe.c", "qrtest.c"), (), "QR code encoder"),
    "sglib-combined": (("combined.c",), (), "SGLIB lists, trees, hash tables, sorts"),
    "slre": (("libslre.c",), (), "regular expression matcher"),
    "statemate": (("libstatemate.c",), (), "car window lift state machine (generated)"),
    "tarfind": (("tarfind.c",), (), "search a tar archive's headers"),
    "ud": (("libud.c",), (), "LU decomposition, integer"),
    "wikisort": (("libwikisort.c",), (), "WikiSort (block merge sort)"),
    "xgboost": (("xgboost.c", "testbench.c"), (), "gradient-boosted tree inference"),
}
# where a program's name is a kernel's too
EMBENCH_NAMES = {"crc32": "embench-crc32"}
# Embench-IoT programs of other releases that this copy does not have, or that do not
# build freestanding: name -> why (printed by the bench)
PROGRAMS_LEFT_OUT: dict[str, str] = {}


def _embench_program(root: Path, name: str, files: Sequence[str], extra: Sequence[str],
                     what: str, discovered: bool = False) -> Workload:
    src = root / "src" / name
    return Workload(
        EMBENCH_NAMES.get(name, name), 1, what, suite="Embench-IoT",
        units=(*(Unit(src / f) for f in files), Unit(root / "support" / "beebsc.c"),
               Unit(PROGRAMS_C / "embench_run.c"), _LIBC),
        include_dirs=(_INCLUDE, KERNEL_DIR, root / "support", src),
        flags=("-include", str(PROGRAMS_C / "embench_config.h"), *extra), own=False,
        discovered=discovered)


def _embench(name: str) -> Workload:
    files, extra, what = _EMBENCH[name]
    return _embench_program(EMBENCH, name, files, extra, what)


_PROGRAM_DIR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def discover_programs(root: Path = EMBENCH) -> tuple[Workload, ...]:
    """The programs in root/src/ that _EMBENCH does not describe (a release of the suite
    other than the one this table was written for), each built from all its C files as the
    suite's own build does. Whether one builds and verifies is for the bench to find out
    (bench/program_probe.py); a name that would clash with a kernel's gets `embench-`."""
    src = root / "src"
    if not src.is_dir():
        return ()
    out = []
    for d in sorted(p for p in src.iterdir() if p.is_dir() and p.name not in _EMBENCH):
        files = sorted(f.name for f in d.glob("*.c"))
        if not files:
            continue
        if not _PROGRAM_DIR_NAME.fullmatch(d.name):
            PROGRAMS_LEFT_OUT[d.name] = "its folder's name is not a C identifier"
            continue
        w = _embench_program(root, d.name, files, (), "found in the suite, not described here",
                             discovered=True)
        if w.name in _KERNEL_NAMES:
            w = replace(w, name=f"embench-{w.name}")
        out.append(w)
    return tuple(out)


def _coremark(iterations: int) -> Workload:
    port = PROGRAMS_C / "coremark"
    return Workload(
        "coremark", iterations, "CoreMark 1.0, 2K performance run", suite="CoreMark",
        m4_n=iterations,
        units=(*(Unit(COREMARK / f) for f in ("core_main.c", "core_list_join.c",
                                              "core_matrix.c", "core_state.c",
                                              "core_util.c")),
               Unit(port / "core_portme.c"), Unit(port / "coremark_run.c"), _LIBC),
        include_dirs=(_INCLUDE, KERNEL_DIR, port, COREMARK),
        flags=("-Dmain=coremark_main",), own=False)


_KERNEL_NAMES = {k.name for k in (*KERNELS, *MORE_KERNELS, EMPTY)}
PROGRAMS: tuple[Workload, ...] = (*(_embench(p) for p in _EMBENCH), *discover_programs(),
                                  _coremark(10))


def check_verified(w: Workload, checksum: int) -> None:
    """A program reports its own verification in bit 0 of its checksum."""
    if w.suite != "kernel" and not checksum & 1:
        raise WorkloadCheckError(f"{w.name}: the program's own verification failed "
                                 f"(checksum {checksum:08x})")


def programs_available() -> bool:
    return EMBENCH.is_dir() and COREMARK.is_dir()


ALL: tuple[Workload, ...] = (*KERNELS, *MORE_KERNELS, *PROGRAMS, EMPTY)


def by_name(name: str) -> Workload:
    for w in ALL:
        if w.name == name:
            return w
    raise KeyError(name)


def select(pool: Sequence[Workload], names: str) -> tuple[Workload, ...]:
    """The workloads of `pool` named in the comma-separated `names` ("" = all of them);
    "kernels" and "programs" name the families."""
    if not names:
        return tuple(pool)
    wanted = set(names.split(","))
    out = tuple(w for w in pool if w.name in wanted
                or ("kernels" in wanted and w.suite == "kernel")
                or ("programs" in wanted and w.suite != "kernel"))
    unknown = wanted - {w.name for w in ALL} - {"kernels", "programs"}
    if unknown:
        raise WorkloadBuildError(f"unknown workload(s): {', '.join(sorted(unknown))}")
    return out
