"""Source lines of a wasm module from its DWARF (pyelftools), as clang, zig and rustc write
them for wasm32: addresses are byte offsets from the start of the code section's payload.

A module linked against libc carries line programs for dozens of compilation units; only
those whose address ranges cover a looked-up address are decoded (a trap needs a handful
of lookups, and decoding all of wasi-libc's takes seconds)."""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from wasmote.errors import WasmoteError

_SECTIONS = ("info", "abbrev", "str", "line", "line_str", "ranges", "rnglists", "loc",
             "loclists", "addr", "str_offsets", "aranges")


@dataclass(frozen=True)
class SourceLine:
    file: str  # the file's name as compiled (without its directory)
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class _Rows:
    """One compilation unit's decoded line program as address ranges."""

    def __init__(self, rows: list[tuple[int, int, str, int]]) -> None:
        self.rows = sorted(rows)
        self.starts = [r[0] for r in self.rows]

    def lookup(self, address: int) -> SourceLine | None:
        i = bisect.bisect_right(self.starts, address) - 1
        while i >= 0:
            start, end, file, line = self.rows[i]
            if start <= address < end:
                return SourceLine(file, line) if line > 0 else None
            i -= 1
        return None


class LineTable:
    """Address -> source line over the units of one module, decoded on demand."""

    def __init__(self, info: Any) -> None:
        self._info = info
        self._units: list[tuple[list[tuple[int, int]], Any]] = []
        self._decoded: dict[int, _Rows] = {}
        for cu in info.iter_CUs():
            self._units.append((_cu_ranges(info, cu), cu))

    def lookup(self, address: int) -> SourceLine | None:
        try:
            for ranges, cu in self._units:
                if not any(lo <= address < hi for lo, hi in ranges):
                    continue
                rows = self._decoded.get(cu.cu_offset)
                if rows is None:
                    rows = self._decoded[cu.cu_offset] = _decode(self._info, cu)
                found = rows.lookup(address)
                if found is not None:
                    return found
        except Exception as e:  # pyelftools raises many kinds on damaged input
            raise WasmoteError(f"unreadable DWARF line table: {e}") from None
        return None


def line_table(customs: dict[str, bytes]) -> LineTable | None:
    """The line table of a module's custom sections (name -> bytes), or None without DWARF.
    A broken table is a WasmoteError (the debug file is not what it claims)."""
    if ".debug_line" not in customs or ".debug_info" not in customs:
        return None
    from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DwarfConfig, DWARFInfo

    def sec(name: str) -> DebugSectionDescriptor | None:
        data = customs.get(f".debug_{name}")
        if data is None:
            return None
        return DebugSectionDescriptor(io.BytesIO(data), f".debug_{name}", None, len(data), 0)

    kw = {f"debug_{n}_sec": sec(n) for n in _SECTIONS}
    try:
        info = DWARFInfo(config=DwarfConfig(little_endian=True, machine_arch="wasm",
                                             default_address_size=4),
                         debug_frame_sec=None, eh_frame_sec=None, debug_pubtypes_sec=None,
                         debug_pubnames_sec=None, debug_sup_sec=None,
                         gnu_debugaltlink_sec=None, debug_types_sec=None, **kw)
        return LineTable(info)
    except Exception as e:
        raise WasmoteError(f"unreadable DWARF: {e}") from None


def _cu_ranges(info: Any, cu: Any) -> list[tuple[int, int]]:
    """The code ranges of a unit (low/high pc, or its range list); everything if unknown."""
    top = cu.get_top_DIE()
    attrs = top.attributes
    if "DW_AT_ranges" in attrs:
        lists = info.range_lists()
        if lists is not None:
            base = attrs["DW_AT_low_pc"].value if "DW_AT_low_pc" in attrs else 0
            out = []
            for r in lists.get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=cu):
                if hasattr(r, "begin_offset"):
                    lo, hi = r.begin_offset, r.end_offset
                    if not getattr(r, "is_absolute", False):
                        lo, hi = lo + base, hi + base
                    out.append((lo, hi))
            return out
    if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
        lo = attrs["DW_AT_low_pc"].value
        hi = attrs["DW_AT_high_pc"].value
        if attrs["DW_AT_high_pc"].form != "DW_FORM_addr":
            hi += lo
        return [(lo, hi)]
    return [(0, 1 << 32)]


def _decode(info: Any, cu: Any) -> _Rows:
    prog = info.line_program_for_CU(cu)
    if prog is None:
        return _Rows([])
    files = prog.header["file_entry"]
    v5 = prog.header["version"] >= 5
    names: dict[int, str] = {}
    rows: list[tuple[int, int, str, int]] = []
    prev = None
    for entry in prog.get_entries():
        st = entry.state
        if st is None:
            continue
        if prev is not None and st.address > prev.address:
            name = names.get(prev.file)
            if name is None:
                name = names[prev.file] = _file_name(files, prev.file, v5)
            rows.append((prev.address, st.address, name, prev.line))
        prev = None if st.end_sequence else st
    return _Rows(rows)


def _file_name(files: list[object], index: int, v5: bool) -> str:
    i = index if v5 else index - 1
    if not 0 <= i < len(files):
        return "?"
    name = getattr(files[i], "name", b"?")
    text = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
    return PurePosixPath(text).name or text
