"""The AOT architecture codes are defined twice, for the host (AotArch) and the device
(WM_AOT_ARCH_* in wm_aot_abi.h): they must be the same set of numbers, and every AOT target
must use one the device knows."""

from __future__ import annotations

import re

from wasmote.aot.targets import TARGETS
from wasmote.package.container import AotArch
from wasmote.paths import FIRMWARE_DIR


def _c_codes() -> dict[str, int]:
    text = (FIRMWARE_DIR / "src" / "core" / "aot" / "wm_aot_abi.h").read_text()
    return {m[1]: int(m[2]) for m in re.finditer(r"#define WM_AOT_ARCH_(\w+) (\d+)u", text)}


def test_aot_arch_codes_agree_between_host_and_device() -> None:
    c = _c_codes()
    assert sorted(c.values()) == sorted(a.value for a in AotArch)
    assert c["XTENSA_LX106"] == AotArch.XTENSA_LX106 and c["XTENSA"] == AotArch.XTENSA_LX6
    assert {t.arch.value for t in TARGETS.values()} <= set(c.values())
