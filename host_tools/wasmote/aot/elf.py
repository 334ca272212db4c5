"""The little of ELF the AOT linker needs: sections (bytes, addresses) and symbols.

Reads 32- and 64-bit little-endian ELF files as every toolchain here writes them (GNU ld,
ld.lld). No dependency beyond the standard library.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wasmote.errors import WasmoteError


class ElfError(WasmoteError):
    """Not an ELF file this reader understands."""


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    info: int
    shndx: int

    @property
    def type(self) -> int:
        return self.info & 0xF


SHT_NOBITS = 8
SHT_SYMTAB = 2


class Elf:
    def __init__(self, data: bytes, source: str = "ELF file") -> None:
        self.data = data
        self.source = source
        if data[:4] != b"\x7fELF":
            raise ElfError(f"{source}: not an ELF file")
        cls, endian = data[4], data[5]
        if endian != 1 or cls not in (1, 2):
            raise ElfError(f"{source}: only little-endian ELF32/ELF64 is supported")
        self.bits = 32 if cls == 1 else 64
        if self.bits == 32:
            (self.machine,) = struct.unpack_from("<H", data, 18)
            shoff, = struct.unpack_from("<I", data, 32)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 46)
        else:
            (self.machine,) = struct.unpack_from("<H", data, 18)
            shoff, = struct.unpack_from("<Q", data, 40)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
        raw = []
        for i in range(shnum):
            at = shoff + i * shentsize
            if self.bits == 32:
                f = struct.unpack_from("<IIIIIIIIII", data, at)
            else:
                f = struct.unpack_from("<IIQQQQIIQQ", data, at)
            raw.append(f)
        if not raw:
            raise ElfError(f"{source}: no section headers")
        strtab = raw[shstrndx]
        names = data[strtab[4]:strtab[4] + strtab[5]]
        self.sections = [Section(self._cstr(names, f[0]), f[1], f[2], f[3], f[4], f[5], f[6],
                                 f[7], f[8], f[9]) for f in raw]

    @staticmethod
    def _cstr(blob: bytes, at: int) -> str:
        end = blob.index(b"\0", at)
        return blob[at:end].decode("utf-8", "replace")

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def section_bytes(self, sec: Section) -> bytes:
        if sec.type == SHT_NOBITS:
            return bytes(sec.size)
        return self.data[sec.offset:sec.offset + sec.size]

    def symbols(self) -> list[Symbol]:
        out: list[Symbol] = []
        for sec in self.sections:
            if sec.type != SHT_SYMTAB:
                continue
            strsec = self.sections[sec.link]
            names = self.data[strsec.offset:strsec.offset + strsec.size]
            size = 16 if self.bits == 32 else 24
            for at in range(sec.offset, sec.offset + sec.size, size):
                if self.bits == 32:
                    name, value, ssize, info, _other, shndx = struct.unpack_from(
                        "<IIIBBH", self.data, at)
                else:
                    name, info, _other, shndx, value, ssize = struct.unpack_from(
                        "<IBBHQQ", self.data, at)
                out.append(Symbol(self._cstr(names, name), value, ssize, info, shndx))
        return out
