"""Trap frames to function names and source lines.

The device ran the stripped module (strip renumbers functions and re-encodes some
immediates); names and DWARF belong to the unstripped one. A frame is mapped back exactly:
the stripped function's index through strip's function map, and the instruction by its
position in the body (strip keeps every instruction of a kept function, in order). The
debug file is accepted only if stripping it gives the very module that ran.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from wasmote.debug.dwarf import LineTable, SourceLine, line_table
from wasmote.debug.trace import TrapFrame, TrapReport
from wasmote.errors import WasmoteError
from wasmote.wasm import leb128
from wasmote.wasm.errors import WasmError
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import drop_custom_sections, strip_bytes


class DebugMismatch(WasmoteError):
    """The debug file is not the unstripped form of the module that ran."""


def code_payload_start(data: bytes) -> int:
    """Offset of the code section's payload (its function count) in a module; -1 if none."""
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, body = leb128.decode_unsigned(data, pos + 1, 32)
        if sid == 10:
            return body
        pos = body + size
    return -1


def function_names(module: Module) -> dict[int, str]:
    """Function names from the "name" custom section (subsection 1), if any."""
    out: dict[int, str] = {}
    for c in module.customs:
        if c.name != "name":
            continue
        data, pos = c.data, 0
        try:
            while pos < len(data):
                sub = data[pos]
                size, pos = leb128.decode_unsigned(data, pos + 1, 32)
                end = pos + size
                if sub == 1:
                    count, p = leb128.decode_unsigned(data, pos, 32)
                    for _ in range(count):
                        idx, p = leb128.decode_unsigned(data, p, 32)
                        n, p = leb128.decode_unsigned(data, p, 32)
                        out[idx] = data[p:p + n].decode("utf-8", "replace")
                        p += n
                pos = end
        except (WasmError, IndexError):
            pass  # a damaged name section names less, it does not fail the trap report
    return out


@dataclass(frozen=True)
class _Body:
    start: int               # code-section offset of its first instruction
    end: int                 # one past its final `end`
    instrs: tuple[int, ...]  # code-section offsets of its instructions


class _Code:
    """Where each defined function's instructions lie in one module."""

    def __init__(self, module: Module, data: bytes) -> None:
        base = code_payload_start(data)
        self.imported = module.num_imported_funcs
        self.bodies: list[_Body] = []
        for f in module.funcs:
            offs = tuple(i.offset - base for i in f.instrs)
            start = offs[0] if offs else f.body_offset - base
            self.bodies.append(_Body(start, offs[-1] + 1 if offs else start, offs))

    def body(self, func: int) -> _Body | None:
        i = func - self.imported
        return self.bodies[i] if 0 <= i < len(self.bodies) else None

    def ordinal(self, func: int, offset: int) -> int | None:
        """Which instruction of `func` holds the byte at `offset`."""
        b = self.body(func)
        if b is None or not b.instrs or not b.start <= offset < b.end:
            return None
        return bisect.bisect_right(b.instrs, offset) - 1


class DebugInfo:
    """Names and lines of an unstripped module for the frames of the module that ran."""

    def __init__(self, debug: bytes, ran: bytes | None = None) -> None:
        dmod = read_module(debug)
        self.names = function_names(dmod)
        self.lines: LineTable | None = line_table({c.name: c.data for c in dmod.customs})
        self._debug = _Code(dmod, debug)
        if ran is None or ran == debug or ran == drop_custom_sections(debug):
            self._ran = self._debug
            self._to_debug: dict[int, int] | None = None
        else:
            stripped, report = strip_bytes(debug)
            if stripped != ran:
                raise DebugMismatch("the debug file is not the unstripped form of the module "
                                    "that ran (rebuild, or package again)")
            self._ran = _Code(read_module(ran), ran)
            self._to_debug = {new: old for old, new in report.func_map.items()}

    def source(self, frame: TrapFrame) -> tuple[str, SourceLine | None]:
        """The frame's function name (or func[N]+0xOFF) and source line, when known."""
        func = frame.func if self._to_debug is None else self._to_debug.get(frame.func, -1)
        name = self.names.get(func)
        k = self._ran.ordinal(frame.func, frame.offset)
        body = self._debug.body(func)
        line = None
        if k is not None and body is not None and k < len(body.instrs) and self.lines:
            line = self.lines.lookup(body.instrs[k])
        if name is None:  # the instruction's place in its function (of the module that ran)
            ran_body = self._ran.body(frame.func)
            if ran_body is None or k is None:  # not inside that function: the raw offset
                name = f"func[{frame.func}]@0x{frame.offset:x}"
            else:
                name = f"func[{frame.func}]+0x{ran_body.instrs[k] - ran_body.start:x}"
        return name, line


def describe(report: TrapReport, info: DebugInfo | None) -> str:
    """"reason in f (file.c:42) <- g (main.c:17)"; without debug info the raw frames."""
    if not report.frames:
        return report.reason
    parts = []
    for f in report.frames:
        if info is None:
            parts.append(f"func[{f.func}]@0x{f.offset:x}")
            continue
        name, line = info.source(f)
        parts.append(f"{name} ({line})" if line else name)
    return f"{report.reason} in {' <- '.join(parts)}"
