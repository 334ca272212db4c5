"""The firmware's MPU region arithmetic (firmware/src/core/aot/arch/mpu_cover.c) built as a
host library, for the tests that check it or predict what a device will decide with it."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmote.paths import FIRMWARE_DIR

SRC = FIRMWARE_DIR / "src" / "core" / "aot" / "arch" / "mpu_cover.c"
U32 = ctypes.c_uint32
Regions = U32 * 2 * 8


def build(out_dir: Path) -> ctypes.CDLL:
    """mpu_cover.c compiled with UBSan into out_dir (skips without a host C compiler)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler (scripts/bootstrap.sh installs build-essential)")
    so = out_dir / "libmpucover.so"
    subprocess.run([cc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    "-fsanitize=undefined", "-fno-sanitize-recover=all", str(SRC), "-o",
                    str(so)], check=True)
    dll = ctypes.CDLL(str(so))
    dll.wm_mpu_v7_cover.argtypes = [U32, U32, U32, U32, U32, ctypes.c_uint, Regions,
                                    ctypes.POINTER(ctypes.c_uint)]
    dll.wm_mpu_v8_cover.argtypes = [U32, U32, U32, U32, U32, U32, ctypes.c_uint, Regions,
                                    ctypes.POINTER(ctypes.c_uint)]
    dll.wm_mpu_v7_layout.argtypes = [ctypes.c_uint64, ctypes.c_uint, ctypes.POINTER(U32),
                                     ctypes.POINTER(U32)]
    return dll


def v7_cover(lib: ctypes.CDLL, base: int, size: int, lo: int, hi: int, attr: int,
             mx: int) -> list[tuple[int, int]] | None:
    out = Regions()
    n = ctypes.c_uint(99)
    if lib.wm_mpu_v7_cover(base, size, lo, hi, attr, mx, out, ctypes.byref(n)) != 0:
        return None
    return [(out[i][0], out[i][1]) for i in range(n.value)]
