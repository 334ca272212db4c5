"""wasm3 for the Cortex-M4 bench image: its C sources from PyPI's pywasm3 sdist (fetched at
bench time into build/, never committed), compiled for the board's CPU with the flags of our
bench image (-Os, the board's -mcpu/-mfpu, function and data sections) and linked into one
relocatable object.

wasm3 gets two of the settings its m3_config_platforms.h gives Arduino/PlatformIO builds:
error strings off and 1 KiB code pages (d_m3VerboseErrorMessages=0,
d_m3CodePageAlignSize=1024), everything else its defaults.
Unlike our core it is compiled without -ffreestanding/-fno-builtin: it is written against a
hosted C library and does its unaligned memory access through memcpy, which it expects the
compiler to inline."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

from bench.workloads import WorkloadBuildError, _run, _scratch
from wasmote.paths import BUILD_DIR

PYWASM3 = "pywasm3==0.5.0"
SDIST_DIR = BUILD_DIR / "wasm3-sdist"
WASM3_FLAGS = ("-std=gnu99", "-Os", "-ffunction-sections", "-fdata-sections", "-w",
               "-Dd_m3VerboseErrorMessages=0", "-Dd_m3CodePageAlignSize=1024")


def wasm3_sources() -> Path:
    """The sdist's wasm3/ folder (downloaded once with pip, then reused)."""
    name = PYWASM3.replace("==", "-")
    src = SDIST_DIR / name / "wasm3"
    if (src / "wasm3.h").is_file():
        return src
    SDIST_DIR.mkdir(parents=True, exist_ok=True)
    res = subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
                          "--no-deps", PYWASM3, "-d", str(SDIST_DIR)],
                         capture_output=True, text=True, check=False)
    archive = SDIST_DIR / f"{name}.tar.gz"
    if res.returncode != 0 or not archive.is_file():
        raise WorkloadBuildError(f"pip download {PYWASM3} failed:\n{res.stderr[-2000:]}")
    with tarfile.open(archive) as tar:  # only wasm3/'s regular files, by their base name
        for m in tar.getmembers():
            parts = Path(m.name).parts
            if m.isfile() and parts[:2] == (name, "wasm3") and len(parts) == 3:
                data = tar.extractfile(m)
                if data is not None:
                    src.mkdir(parents=True, exist_ok=True)
                    (src / parts[2]).write_bytes(data.read())
    if not (src / "wasm3.h").is_file():
        raise WorkloadBuildError(f"{archive} holds no wasm3/wasm3.h")
    return src


def wasm3_object(toolchain: str, cpu_flags: Sequence[str]) -> Path:
    """wasm3's m3_*.c as one relocatable object (cached by sources and flags)."""
    src = wasm3_sources()
    files = sorted(src.glob("m3_*.c"))
    h = hashlib.sha256()
    for f in sorted(src.glob("*.[ch]")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    for flag in (toolchain, *cpu_flags, *WASM3_FLAGS):
        h.update(flag.encode() + b"\0")
    out = SDIST_DIR / f"wasm3.{h.hexdigest()[:16]}.{toolchain}.o"
    if out.exists():
        return out
    with _scratch(out) as tmp:
        objs = []
        for f in files:
            obj = tmp / f"{f.stem}.o"
            _run([f"{toolchain}-gcc", *WASM3_FLAGS, *cpu_flags, f"-I{src}", "-c", str(f),
                  "-o", str(obj)])
            objs.append(str(obj))
        _run([f"{toolchain}-ld", "-r", *objs, "-o", str(tmp / "all.o")])
        (tmp / "all.o").replace(out)
    return out
