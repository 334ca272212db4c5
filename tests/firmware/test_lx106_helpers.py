"""The libgcc helpers the xtensa-lx106 port supplies (division, 64-bit multiply, soft
float: the ESP8266 keeps them in ROM, so Debian's xtensa-lx106-elf libgcc leaves them out)
checked bit for bit against the host's integer unit and FPU. The same C runs on the LX106
under QEMU (the spec subsets in tests/firmware and tests/aot) and links into its AOT code."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.harness import c_harness
from wasmote.paths import FIRMWARE_DIR

PORT = FIRMWARE_DIR / "src" / "port" / "xtensa_lx106"
CHECK = Path(__file__).resolve().parent / "lx106_helpers_check.c"


def test_lx106_helpers_match_the_host(tmp_path: Path) -> None:
    exe = tmp_path / "check"
    subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror",
                    "-DWM_LX106_HELPER_PREFIX=wm_host_", f"-I{PORT}",
                    f"-I{c_harness.INCLUDE_DIR}", str(CHECK),
                    str(PORT / "lx106_softfloat.c"), str(PORT / "lx106_intdiv.c"),
                    "-lm", "-o", str(exe)], check=True)
    proc = subprocess.run([str(exe), "1000000"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
    assert "0 mismatches" in proc.stdout
