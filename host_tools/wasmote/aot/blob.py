"""The AOT section payload of ABI version 1 (after the package's 8-byte AOT header).

    0   u32 magic "wAOT"          24  u32 largest native frame (bytes)
    4   u32 header size (80)       28  u32 offset of the entry table
    8   u32 flags (1 = fuel,       32  u32 offset of the code (16-aligned)
          2 = no bounds checks)
    12  u32 sizeof(wm_aot_ctx)     36  u32 code size
    16  u32 imported functions     40  u32 offset of the type table
    20  u32 defined functions      44  u32 alignment the code needs in memory
    48  32 bytes: SHA-256 of the wasm module the code was compiled from

Entry table: per defined function the offset of its entry in the code (Thumb bit kept), or
0xffffffff. Type table: per defined function its signature hash. Then the code image.
firmware/src/core/aot/wm_aot_abi.h defines the same offsets (WM_AOT_H_*).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wasmote.errors import WasmoteError

ABI_VERSION = 2  # wm_aot_abi.h
MAGIC = 0x544F4177  # "wAOT"
HEADER = struct.Struct("<12I32s")
HEADER_BYTES = HEADER.size  # 80
FLAG_FUEL = 1
FLAG_NO_BOUNDS = 2  # no software bounds checks: runs only isolated by an MPU
NO_ENTRY = 0xFFFFFFFF
CODE_ALIGN = 16


class AotFormatError(WasmoteError):
    """An AOT payload that does not follow the layout."""


def ctx_size(ptr_bytes: int) -> int:
    """sizeof(wm_aot_ctx): twelve pointer-sized fields and two u32 (wm_aot_abi.h)."""
    return 12 * ptr_bytes + 8


@dataclass(frozen=True)
class AotBlob:
    flags: int
    ctx_size: int
    nimports: int
    frame: int
    module_hash: bytes
    entries: tuple[int, ...]   # per defined function
    types: tuple[int, ...]     # per defined function
    code: bytes
    align: int = 8             # power of two; the code's address must be a multiple

    @property
    def fuel(self) -> bool:
        return bool(self.flags & FLAG_FUEL)

    @property
    def bounds_checks(self) -> bool:
        return not self.flags & FLAG_NO_BOUNDS

    def encode(self) -> bytes:
        n = len(self.entries)
        if len(self.types) != n:
            raise AotFormatError("entry and type tables differ in length")
        entries_off = HEADER_BYTES
        types_off = entries_off + 4 * n
        code_off = -(-(types_off + 4 * n) // CODE_ALIGN) * CODE_ALIGN
        head = HEADER.pack(MAGIC, HEADER_BYTES, self.flags, self.ctx_size, self.nimports, n,
                           self.frame, entries_off, code_off, len(self.code), types_off,
                           self.align, self.module_hash)
        tables = struct.pack(f"<{n}I", *self.entries) + struct.pack(f"<{n}I", *self.types)
        pad = bytes(code_off - HEADER_BYTES - len(tables))
        return head + tables + pad + self.code

    @classmethod
    def decode(cls, data: bytes) -> AotBlob:
        if len(data) < HEADER_BYTES:
            raise AotFormatError(f"AOT payload of {len(data)} bytes is shorter than its header")
        (magic, hsize, flags, csize, nimp, n, frame, entries_off, code_off, code_size,
         types_off, align, mhash) = HEADER.unpack_from(data)
        if magic != MAGIC:
            raise AotFormatError("AOT payload: bad magic")
        if hsize != HEADER_BYTES or align <= 0 or align & (align - 1):
            raise AotFormatError("AOT payload: bad header size or alignment")
        end = code_off + code_size
        if (entries_off + 4 * n > code_off or types_off + 4 * n > code_off
                or end != len(data)):
            raise AotFormatError("AOT payload: tables or code out of bounds")
        entries = struct.unpack_from(f"<{n}I", data, entries_off)
        types = struct.unpack_from(f"<{n}I", data, types_off)
        return cls(flags, csize, nimp, frame, mhash, entries, types, data[code_off:end], align)
