"""The `.wmp` package container: header, sections, SHA-256 content hash, optional signature.

Byte layout (all integers little-endian; docs/module-format.md is the normative text):

    header   16 bytes  magic "\\0wmp", u8 format version, u8 flags (0), u16 section count,
                       u32 content length (= offset of the hash section), u32 reserved (0)
    sections           each: u8 kind, u8 flags, u16 reserved (0), u32 payload length,
                       payload, zero padding to a multiple of 8 (payloads are 8-aligned)
                       order: MANIFEST, MODULE, AOT sections, then optional sections
    hash     40 bytes  section kind 0x80, payload SHA-256 of bytes [0, content length)
    signature 112 B    optional: kind 0x81, payload u8 algorithm (1 = Ed25519), 3 zero
                       bytes, 32-byte public key, 64-byte signature over
                       SIGNING_CONTEXT + hash

The content is canonical (no choices in encoding), so `parse_package(p.to_bytes())`
round-trips exactly and signing only appends the signature section.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from pathlib import Path

from wasmote.input_file import PACKAGE_FILE_MAX, read_capped
from wasmote.package.errors import PackageFormatError
from wasmote.package.manifest import Manifest, decode_manifest, encode_manifest

MAGIC = b"\x00wmp"
FORMAT_VERSION = 1
HEADER = struct.Struct("<4sBBHII")
SECTION_HEADER = struct.Struct("<BBHI")
ALIGN = 8
MAX_CONTENT_BYTES = 16 << 20
MAX_SECTIONS = 16
HASH_BYTES = 32
SIGNATURE_PAYLOAD = struct.Struct("<B3s32s64s")
SIGNATURE_ALG_ED25519 = 1
SIGNING_CONTEXT = b"wasmote-package-v1\x00"
AOT_HEADER = struct.Struct("<BBHI")

SECTION_FLAG_OPTIONAL = 0x01  # a reader that does not know the kind may skip the section
WASM_MAGIC = b"\x00asm"

_Fail = Callable[[str, int], PackageFormatError]  # builds an error at a byte offset


class SectionKind(IntEnum):
    MANIFEST = 0x01
    MODULE = 0x02
    AOT = 0x03
    HASH = 0x80
    SIGNATURE = 0x81


class AotArch(IntEnum):
    """Target of an AOT native-code section (the ABI itself is versioned separately)."""

    THUMBV7EM = 1      # Cortex-M4F/M7, Thumb-2 with FPv4-SP (hard float)
    RV32IMAC = 2       # 32-bit RISC-V
    X86_64 = 3         # posix host build
    XTENSA_LX6 = 4     # ESP32
    THUMBV7M = 5       # Cortex-M3 (and FPU-less M4), Thumb-2, soft float
    THUMBV8M_MAIN = 6  # Cortex-M33, Thumb-2 v8-M Mainline with FPv5-SP
    AARCH64 = 7        # posix host build on 64-bit Arm
    XTENSA_LX106 = 8   # ESP8266 (Xtensa LX106), call0 ABI, soft float


@dataclass(frozen=True)
class AotCode:
    """Native code for one architecture; `code` layout is defined by the AOT ABI version."""

    arch: int
    abi_version: int
    code: bytes

    def arch_name(self) -> str:
        try:
            return AotArch(self.arch).name.lower()
        except ValueError:
            return f"arch {self.arch}"


@dataclass(frozen=True)
class RawSection:
    """An optional section of a kind this tool does not know, kept byte for byte."""

    kind: int
    flags: int
    payload: bytes


@dataclass(frozen=True)
class Signature:
    public_key: bytes  # 32 bytes, Ed25519
    signature: bytes   # 64 bytes
    algorithm: int = SIGNATURE_ALG_ED25519


@dataclass(frozen=True)
class Package:
    manifest: Manifest
    module: bytes
    aot: tuple[AotCode, ...] = ()
    extra: tuple[RawSection, ...] = ()
    signature: Signature | None = None

    def content(self) -> bytes:
        """Header and sections: the bytes the hash (and so the signature) covers."""
        sections: list[tuple[int, int, bytes]] = [
            (SectionKind.MANIFEST, 0, encode_manifest(self.manifest)),
            (SectionKind.MODULE, 0, self.module)]
        sections += [(SectionKind.AOT, 0,
                      AOT_HEADER.pack(a.arch, 0, a.abi_version, 0) + a.code) for a in self.aot]
        sections += [(s.kind, s.flags, s.payload) for s in self.extra]
        body = b"".join(_section(kind, flags, payload) for kind, flags, payload in sections)
        length = HEADER.size + len(body)
        if length > MAX_CONTENT_BYTES:
            raise PackageFormatError(f"package content would be {length} bytes, more than "
                                     f"the limit {MAX_CONTENT_BYTES}", 0)
        return HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(sections), length, 0) + body

    def content_hash(self) -> bytes:
        return hashlib.sha256(self.content()).digest()

    def signed_message(self) -> bytes:
        return signed_message(self.content_hash())

    def to_bytes(self) -> bytes:
        content = self.content()
        out = content + _section(SectionKind.HASH, 0, hashlib.sha256(content).digest())
        if self.signature is not None:
            sig = self.signature
            out += _section(SectionKind.SIGNATURE, 0, SIGNATURE_PAYLOAD.pack(
                sig.algorithm, b"\0\0\0", sig.public_key, sig.signature))
        return out

    def with_signature(self, signature: Signature | None) -> Package:
        return replace(self, signature=signature)


def signed_message(content_hash: bytes) -> bytes:
    """What the Ed25519 signature is computed over (a fixed context, then the hash)."""
    return SIGNING_CONTEXT + content_hash


def _section(kind: int, flags: int, payload: bytes) -> bytes:
    pad = -len(payload) % ALIGN
    return SECTION_HEADER.pack(kind, flags, 0, len(payload)) + payload + b"\0" * pad


def is_package(data: bytes) -> bool:
    return data[:4] == MAGIC


def read_package(path: str | Path) -> Package:
    path = Path(path)
    try:
        data = read_capped(path, PACKAGE_FILE_MAX, "a package")
    except OSError as e:
        raise PackageFormatError(f"cannot read: {e.strerror or e}", 0, str(path)) from None
    return parse_package(data, source=str(path))


def parse_package(data: bytes, source: str = "package") -> Package:
    """Parse and check a package: structure, limits, content hash, manifest.

    Does not check the signature (see keys.verify_package): a package parses whether or
    not it is signed. Raises PackageFormatError (with the byte offset) on any defect.
    """
    def fail(message: str, offset: int) -> PackageFormatError:
        return PackageFormatError(message, offset, source)

    if len(data) < HEADER.size:
        if data[:len(MAGIC)] != MAGIC[:len(data)]:
            raise fail("not a wasmote package (bad magic)", 0)
        raise fail(f"truncated header: {len(data)} bytes, a package header has {HEADER.size}",
                   len(data))
    magic, version, flags, count, content_len, reserved = HEADER.unpack_from(data)
    if magic != MAGIC:
        hint = " (this is a bare wasm module)" if magic == WASM_MAGIC else ""
        raise fail(f"not a wasmote package (magic {magic.hex()}, expected {MAGIC.hex()})"
                   f"{hint}", 0)
    if version != FORMAT_VERSION:
        raise fail(f"unsupported package format version {version} (this tool reads "
                   f"version {FORMAT_VERSION})", 4)
    if flags:
        raise fail(f"reserved header flags set (0x{flags:02x})", 5)
    if reserved:
        raise fail("reserved header field is not zero", 12)
    if not 2 <= count <= MAX_SECTIONS:
        raise fail(f"section count {count} out of range 2..{MAX_SECTIONS}", 6)
    if content_len % ALIGN or not HEADER.size <= content_len <= MAX_CONTENT_BYTES:
        raise fail(f"content length {content_len} is not a multiple of {ALIGN} in "
                   f"{HEADER.size}..{MAX_CONTENT_BYTES}", 8)
    hash_end = content_len + SECTION_HEADER.size + HASH_BYTES
    if len(data) < hash_end:
        raise fail(f"truncated: the header says content ends at 0x{content_len:x} and a "
                   f"{SECTION_HEADER.size + HASH_BYTES}-byte hash section follows, but the "
                   f"file has {len(data)} bytes", len(data))

    sections = _split_sections(data, content_len, count, fail)

    if SECTION_HEADER.unpack_from(data, content_len) != (SectionKind.HASH, 0, 0, HASH_BYTES):
        raise fail(f"expected the hash section (kind 0x{SectionKind.HASH:02x}, length "
                   f"{HASH_BYTES}) where the content ends", content_len)
    stored = data[content_len + SECTION_HEADER.size:hash_end]
    computed = hashlib.sha256(data[:content_len]).digest()
    if stored != computed:
        raise fail(f"content hash mismatch (stored {stored.hex()[:16]}..., computed "
                   f"{computed.hex()[:16]}...): the package is corrupted or was modified",
                   content_len + SECTION_HEADER.size)
    signature = _parse_signature(data, hash_end, fail)

    manifest: Manifest | None = None
    module: bytes | None = None
    aot: list[AotCode] = []
    extra: list[RawSection] = []
    for index, (offset, kind, sflags, payload) in enumerate(sections):
        where = f"section {index} (kind 0x{kind:02x})"
        if sflags & ~SECTION_FLAG_OPTIONAL:
            raise fail(f"{where}: reserved flag bits set (0x{sflags:02x})", offset + 1)
        if sflags and kind in set(SectionKind):
            raise fail(f"{where}: flags must be 0 for a {SectionKind(kind).name} section",
                       offset + 1)
        expected_first = {0: SectionKind.MANIFEST, 1: SectionKind.MODULE}.get(index)
        if expected_first is not None and kind != expected_first:
            raise fail(f"{where}: section {index} must be the {expected_first.name} section",
                       offset)
        body_at = offset + SECTION_HEADER.size
        if kind == SectionKind.MANIFEST and index == 0:
            manifest = decode_manifest(payload, base=body_at, source=source)
        elif kind == SectionKind.MODULE and index == 1:
            if payload[:4] != WASM_MAGIC:
                raise fail("MODULE section does not start with the wasm magic \\0asm", body_at)
            module = payload
        elif kind == SectionKind.AOT:
            if extra:
                raise fail(f"{where}: AOT sections must come before optional sections", offset)
            aot.append(_parse_aot(payload, body_at, aot, fail))
        elif kind in (SectionKind.MANIFEST, SectionKind.MODULE, SectionKind.HASH,
                      SectionKind.SIGNATURE):
            raise fail(f"{where}: a {SectionKind(kind).name} section is not allowed here",
                       offset)
        elif sflags & SECTION_FLAG_OPTIONAL:
            extra.append(RawSection(kind, sflags, payload))
        else:
            raise fail(f"{where}: unknown section kind that is not marked optional", offset)
    assert manifest is not None and module is not None  # count >= 2 and order checked
    return Package(manifest, module, tuple(aot), tuple(extra), signature)


def _split_sections(data: bytes, content_len: int, count: int,
                    fail: _Fail) -> list[tuple[int, int, int, bytes]]:
    sections = []
    pos = HEADER.size
    for index in range(count):
        if pos + SECTION_HEADER.size > content_len:
            raise fail(f"section {index} header runs past the end of the content "
                       f"(0x{content_len:x}); the header says {count} sections", pos)
        kind, sflags, reserved, length = SECTION_HEADER.unpack_from(data, pos)
        if reserved:
            raise fail(f"section {index}: reserved field is not zero", pos + 2)
        start = pos + SECTION_HEADER.size
        end = start + length
        padded = end + (-length % ALIGN)
        if padded > content_len:
            raise fail(f"section {index} (kind 0x{kind:02x}): payload of {length} bytes runs "
                       f"past the end of the content (0x{content_len:x})", pos + 4)
        if any(data[end:padded]):
            raise fail(f"section {index}: padding bytes are not zero", end)
        sections.append((pos, kind, sflags, data[start:end]))
        pos = padded
    if pos != content_len:
        raise fail(f"{content_len - pos} bytes between the last of {count} sections and the "
                   f"end of the content", pos)
    return sections


def _parse_aot(payload: bytes, at: int, seen: list[AotCode], fail: _Fail) -> AotCode:
    if len(payload) < AOT_HEADER.size:
        raise fail(f"AOT section: {len(payload)} bytes, shorter than its "
                   f"{AOT_HEADER.size}-byte header", at)
    arch, flags, abi, reserved = AOT_HEADER.unpack_from(payload)
    if flags or reserved:
        raise fail("AOT section: reserved fields are not zero", at + 1)
    if any(a.arch == arch for a in seen):
        raise fail(f"AOT section: a second section for architecture {arch}", at)
    return AotCode(arch, abi, payload[AOT_HEADER.size:])


def _parse_signature(data: bytes, pos: int, fail: _Fail) -> Signature | None:
    if pos == len(data):
        return None
    size = SECTION_HEADER.size + SIGNATURE_PAYLOAD.size + (-SIGNATURE_PAYLOAD.size % ALIGN)
    if len(data) - pos < SECTION_HEADER.size:
        raise fail(f"{len(data) - pos} trailing bytes after the hash section", pos)
    kind, sflags, reserved, length = SECTION_HEADER.unpack_from(data, pos)
    if kind != SectionKind.SIGNATURE:
        raise fail(f"after the hash section: expected the signature section (kind "
                   f"0x{SectionKind.SIGNATURE:02x}) or the end of the file, got kind "
                   f"0x{kind:02x}", pos)
    if sflags or reserved or length != SIGNATURE_PAYLOAD.size:
        raise fail(f"signature section: expected flags 0 and length {SIGNATURE_PAYLOAD.size}",
                   pos)
    if len(data) - pos != size:
        problem = "truncated" if len(data) - pos < size else (
            f"{len(data) - pos - size} trailing bytes after it")
        raise fail(f"signature section: {problem}", min(len(data), pos + size))
    alg, zero, pub, sig = SIGNATURE_PAYLOAD.unpack_from(data, pos + SECTION_HEADER.size)
    if alg != SIGNATURE_ALG_ED25519:
        raise fail(f"signature section: unknown algorithm {alg} (1 = Ed25519)",
                   pos + SECTION_HEADER.size)
    if zero != b"\0\0\0" or any(data[pos + SECTION_HEADER.size + SIGNATURE_PAYLOAD.size:]):
        raise fail("signature section: reserved or padding bytes are not zero",
                   pos + SECTION_HEADER.size + 1)
    return Signature(pub, sig, alg)

