"""The crypto core builds freestanding for the device targets, warning-free, and needs
nothing from outside except its own headers, base's header-only work meter (and libgcc's
64-bit shift helpers on rv32)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import CRYPTO_SRC

WARN = ["-std=c99", "-pedantic-errors", "-Wall", "-Wextra", "-Werror", "-ffreestanding"]
TARGETS = {
    "cortex-m4": ("arm-none-eabi", ["-Os", "-mcpu=cortex-m4", "-mthumb"], set()),
    "rv32imac": ("riscv64-unknown-elf", ["-Os", "-march=rv32imac_zicsr", "-mabi=ilp32"],
                 {"__ashldi3", "__lshrdi3"}),
}
ALLOWED_HEADERS = {"stdint.h", "stddef.h", "stdbool.h", "limits.h", "float.h", "stdarg.h",
                   # header-only: the install's work meter the package hash charges
                   "../base/wm_work.h"}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_cross_compiles_warning_free_with_no_external_symbols(target, tmp_path: Path):
    prefix, flags, libgcc_ok = TARGETS[target]
    cc = shutil.which(prefix + "-gcc")
    if cc is None:
        pytest.skip(f"{prefix}-gcc not installed (scripts/bootstrap.sh installs it)")
    for src in sorted(CRYPTO_SRC.glob("*.c")):
        obj = tmp_path / (src.stem + ".o")
        proc = subprocess.run([cc, *WARN, *flags, "-c", str(src), "-o", str(obj)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        undefined = subprocess.run([prefix + "-nm", "-u", str(obj)], capture_output=True,
                                   text=True, check=True).stdout.split()
        external = {s for s in undefined if s != "U" and not s.startswith("wm_")}
        assert external <= libgcc_ok, f"{src.name} needs {external - libgcc_ok}"
        defined = subprocess.run([prefix + "-nm", "-g", "--defined-only", str(obj)],
                                 capture_output=True, text=True, check=True).stdout
        public = {line.split()[-1] for line in defined.splitlines() if line.strip()}
        assert public and all(s.startswith("wm_") for s in public), public


def test_only_freestanding_headers_are_included():
    own = {p.name for p in CRYPTO_SRC.glob("*.h")}
    for path in sorted(CRYPTO_SRC.glob("*.[ch]")):
        for header in re.findall(r'#include\s*[<"]([^>"]+)[>"]', path.read_text()):
            assert header in ALLOWED_HEADERS | own, f"{path.name} includes {header}"
