"""Spec-suite commands AOT-compiled code is allowed to fail, each with its reason.

Keys are (file stem, line in the .wast file). The interpreter's exclusions apply too (the
same runtime reports the same trap texts); there are no AOT-specific ones.
"""

from __future__ import annotations

from tests.runtime.spec_exclusions import EXCLUSIONS as RUNTIME_EXCLUSIONS

AOT_ONLY: dict[tuple[str, int], str] = {}

EXCLUSIONS: dict[tuple[str, int], str] = {**RUNTIME_EXCLUSIONS, **AOT_ONLY}

# On the QEMU boards (tests/aot/test_aot_qemu.py) only: limits of a 4 MiB board, not of
# native code (the interpreter fails them there too).
DEVICE_ONLY: dict[tuple[str, int], str] = {
    ("call", 359): (
        "memory.grow by 306 pages (19 MiB) succeeds in the spec; the board's whole RAM is "
        "4 MiB, so the module's arena cannot hold it and grow returns -1"
    ),
    ("call_indirect", 603): (
        "memory.grow by 306 pages (19 MiB) succeeds in the spec; the board's whole RAM is "
        "4 MiB, so the module's arena cannot hold it and grow returns -1"
    ),
}

DEVICE_EXCLUSIONS: dict[tuple[str, int], str] = {**EXCLUSIONS, **DEVICE_ONLY}
