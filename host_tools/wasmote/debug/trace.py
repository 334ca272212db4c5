"""The call stack a trap reports (firmware: wm_sb_trap_text): the runtime's message, then
" [wasm F@0xOFF <- F@0xOFF ...]" with the innermost frame first. F is a function index
(imports counted), OFF the byte offset from the start of the code section's payload of a
byte inside the instruction that trapped or made the call (what DWARF line tables count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUFFIX = re.compile(r" \[wasm (\d+@0x[0-9a-f]+(?: <- \d+@0x[0-9a-f]+)*)\]$")
_FRAME = re.compile(r"(\d+)@0x([0-9a-f]+)")


@dataclass(frozen=True)
class TrapFrame:
    func: int    # function index of the module that ran (imports counted)
    offset: int  # code-section offset of a byte inside the instruction


@dataclass(frozen=True)
class TrapReport:
    """A trap as reported: the message and the wasm frames, innermost first (none from
    native AOT code, which keeps no frames)."""

    reason: str
    frames: tuple[TrapFrame, ...] = ()


def parse_trap(text: str) -> TrapReport:
    """Splits a device's trap text into its message and frames (text without a stack: no
    frames)."""
    m = _SUFFIX.search(text)
    if m is None:
        return TrapReport(text)
    frames = tuple(TrapFrame(int(f), int(o, 16)) for f, o in _FRAME.findall(m.group(1)))
    return TrapReport(text[:m.start()], frames)
