import hashlib
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasmote.package.container import (
    HEADER,
    MAGIC,
    SECTION_HEADER,
    SIGNING_CONTEXT,
    Package,
    RawSection,
    Signature,
    is_package,
    parse_package,
    read_package,
)
from wasmote.package.errors import PackageFormatError
from wasmote.package.manifest import encode_manifest

from .helpers import EMPTY_WASM, sample_manifest, sample_package


def test_round_trip_exact():
    pkg = sample_package()
    data = pkg.to_bytes()
    assert is_package(data)
    back = parse_package(data)
    assert back == pkg
    assert back.to_bytes() == data


def test_layout():
    pkg = sample_package(aot=False)
    data = pkg.to_bytes()
    magic, version, flags, count, content_len, reserved = HEADER.unpack_from(data)
    assert (magic, version, flags, count, reserved) == (MAGIC, 1, 0, 2, 0)
    manifest = encode_manifest(pkg.manifest)
    assert SECTION_HEADER.unpack_from(data, 16) == (1, 0, 0, len(manifest))
    assert data[24:24 + len(manifest)] == manifest
    mod_at = 24 + len(manifest) + (-len(manifest) % 8)
    assert mod_at % 8 == 0
    assert SECTION_HEADER.unpack_from(data, mod_at) == (2, 0, 0, len(pkg.module))
    assert SECTION_HEADER.unpack_from(data, content_len) == (0x80, 0, 0, 32)
    assert data[content_len + 8:] == hashlib.sha256(data[:content_len]).digest()
    assert len(data) == content_len + 40


def test_signature_appends_only():
    pkg = sample_package()
    signed = pkg.with_signature(Signature(b"\x11" * 32, b"\x22" * 64))
    a, b = pkg.to_bytes(), signed.to_bytes()
    assert b[:len(a)] == a
    assert b[len(a):] == struct.pack("<BBHI", 0x81, 0, 0, 100) + bytes([1, 0, 0, 0]) + \
        b"\x11" * 32 + b"\x22" * 64 + b"\0" * 4
    assert parse_package(b) == signed
    assert signed.signed_message() == SIGNING_CONTEXT + hashlib.sha256(
        pkg.content()).digest()


def _rehash(data: bytearray) -> bytes:
    """Recompute the hash after a deliberate change, so deeper checks are reached."""
    content_len = HEADER.unpack_from(data)[4]
    data[content_len + 8:content_len + 40] = hashlib.sha256(data[:content_len]).digest()
    return bytes(data)


def _expect(data: bytes, offset: int, fragment: str) -> None:
    with pytest.raises(PackageFormatError, match=fragment) as info:
        parse_package(data, source="x.wmp")
    assert info.value.offset == offset, info.value.one_line()
    assert info.value.one_line().startswith(f"x.wmp:0x{offset:x}: ")


def test_header_errors():
    good = sample_package().to_bytes()
    _expect(b"", 0, "truncated header: 0 bytes")
    _expect(good[:10], 10, "truncated header")
    _expect(b"hello", 0, "not a wasmote package")
    _expect(EMPTY_WASM * 3, 0, "bare wasm module")
    _expect(good[:4] + b"\x02" + good[5:], 4, "unsupported package format version 2")
    _expect(good[:5] + b"\x01" + good[6:], 5, "reserved header flags")
    _expect(good[:6] + b"\x01\x00" + good[8:], 6, "section count 1 out of range")
    _expect(good[:8] + b"\x09\x00\x00\x00" + good[12:], 8, "content length 9")
    _expect(good[:12] + b"\x01" + good[13:], 12, "reserved header field")


def test_truncated_and_trailing():
    good = sample_package().to_bytes()
    _expect(good[:-1], len(good) - 1, "truncated: the header says content ends")
    _expect(good + b"\0", len(good), "1 trailing bytes after the hash section")
    signed = sample_package().with_signature(Signature(b"\1" * 32, b"\2" * 64)).to_bytes()
    _expect(signed[:-1], len(signed) - 1, "signature section: truncated")
    _expect(signed + b"\0" * 8, len(signed), "8 trailing bytes")


def test_hash_mismatch():
    data = bytearray(sample_package().to_bytes())
    content_len = HEADER.unpack_from(data)[4]
    data[40] ^= 0x01
    _expect(bytes(data), content_len + 8, "content hash mismatch")


def test_section_errors():
    good = bytearray(sample_package().to_bytes())
    mlen = SECTION_HEADER.unpack_from(good, 16)[3]
    bad = bytearray(good)
    bad[16] = 2  # first section claims to be MODULE
    _expect(_rehash(bad), 16, "section 0 must be the MANIFEST section")
    bad = bytearray(good)
    bad[18] = 1
    _expect(_rehash(bad), 18, "section 0: reserved field is not zero")
    bad = bytearray(good)
    bad[20:24] = (10**6).to_bytes(4, "little")
    _expect(_rehash(bad), 20, "payload of 1000000 bytes runs past the end")
    bad = bytearray(good)
    pad_at = 24 + mlen
    assert mlen % 8, "the sample manifest needs padding for this test"
    bad[pad_at] = 0xAA
    _expect(_rehash(bad), pad_at, "padding bytes are not zero")
    bad = bytearray(good)
    bad[17] = 1  # optional flag on a known kind
    _expect(_rehash(bad), 17, "flags must be 0 for a MANIFEST section")
    bad = bytearray(good)
    bad[6] = 9  # more sections than there are
    _expect(_rehash(bad), HEADER.unpack_from(good)[4], "section 4 header runs past the end")
    bad = bytearray(good)
    bad[6] = 3  # fewer sections than there are
    with pytest.raises(PackageFormatError, match="bytes between the last of 3 sections"):
        parse_package(_rehash(bad))


def test_module_magic_and_unknown_kinds():
    pkg = Package(sample_manifest(), b"\x00asX\x01\x00\x00\x00")
    with pytest.raises(PackageFormatError, match="does not start with the wasm magic"):
        parse_package(pkg.to_bytes())
    pkg = Package(sample_manifest(), EMPTY_WASM, extra=(RawSection(0x42, 0, b"x"),))
    with pytest.raises(PackageFormatError, match="unknown section kind that is not marked"):
        parse_package(pkg.to_bytes())
    pkg = Package(sample_manifest(), EMPTY_WASM, extra=(RawSection(0x80, 1, b"x"),))
    with pytest.raises(PackageFormatError, match="flags must be 0 for a HASH"):
        parse_package(pkg.to_bytes())


def test_aot_errors():
    from wasmote.package.container import AotCode
    two = Package(sample_manifest(), EMPTY_WASM, aot=(AotCode(1, 1, b""), AotCode(1, 2, b"")))
    with pytest.raises(PackageFormatError, match="second section for architecture 1"):
        parse_package(two.to_bytes())
    after = Package(sample_manifest(), EMPTY_WASM, aot=(AotCode(2, 1, b"c"),),
                    extra=(RawSection(0x42, 1, b"x"),))
    data = bytearray(after.to_bytes())
    # swap order: put the optional section before the AOT section
    parsed = parse_package(bytes(data))
    assert parsed.aot[0].arch_name() == "rv32imac"
    reordered = Package(sample_manifest(), EMPTY_WASM, extra=(
        RawSection(0x42, 1, b"x"), RawSection(0x03, 0, b"\x01\0\1\0\0\0\0\0")))
    with pytest.raises(PackageFormatError, match="AOT sections must come before optional"):
        parse_package(reordered.to_bytes())


def test_signature_section_errors():
    signed = bytearray(sample_package().with_signature(
        Signature(b"\1" * 32, b"\2" * 64)).to_bytes())
    sig_at = len(signed) - 112
    bad = bytearray(signed)
    bad[sig_at] = 0x82
    _expect(bytes(bad), sig_at, "expected the signature section")
    bad = bytearray(signed)
    bad[sig_at + 8] = 2
    _expect(bytes(bad), sig_at + 8, "unknown algorithm 2")
    bad = bytearray(signed)
    bad[-1] = 1
    _expect(bytes(bad), sig_at + 9, "reserved or padding bytes")


def test_read_package_missing(tmp_path):
    with pytest.raises(PackageFormatError, match="cannot read"):
        read_package(tmp_path / "nope.wmp")


# --- hostile input -------------------------------------------------------------------

_SETTINGS = settings(max_examples=300, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
_SIGNED = sample_package().with_signature(Signature(b"\1" * 32, b"\2" * 64)).to_bytes()


def _parse_or_documented(data: bytes) -> None:
    try:
        pkg = parse_package(data)
    except PackageFormatError as e:
        assert 0 <= e.offset <= len(data)
        return
    assert pkg.to_bytes() == data  # anything accepted is canonical


@_SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(data):
    _parse_or_documented(data)


@_SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_behind_magic(data):
    _parse_or_documented(MAGIC + b"\x01" + data)


def _mutate(data: st.DataObject, raw: bytearray) -> bytearray:
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        pos = data.draw(st.integers(0, len(raw) - 1)) if raw else 0
        if op == "flip" and raw:
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set" and raw:
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[pos:]
        elif op == "delete":
            del raw[pos:pos + data.draw(st.integers(1, 8))]
        else:
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=9))
    return raw


@_SETTINGS
@given(st.data())
def test_mutated_packages(data):
    _parse_or_documented(bytes(_mutate(data, bytearray(_SIGNED))))


@_SETTINGS
@given(st.data())
def test_mutated_content_with_fixed_hash(data):
    """Mutations inside the content with the hash recomputed reach the section and
    manifest parsers instead of stopping at the hash check."""
    raw = bytearray(_SIGNED)
    content_len = HEADER.unpack_from(raw)[4]
    sections = _mutate(data, raw[HEADER.size:content_len])
    content = raw[:HEADER.size] + sections
    new_len = data.draw(st.sampled_from([content_len, len(content),
                                         len(content) + (-len(content) % 8)]))
    content += b"\0" * max(0, new_len - len(content))
    content[8:12] = new_len.to_bytes(4, "little")
    body = bytes(content)
    out = body + struct.pack("<BBHI", 0x80, 0, 0, 32) + hashlib.sha256(
        body[:new_len]).digest()
    _parse_or_documented(out)


def test_every_truncation():
    unsigned_len = len(_SIGNED) - 112
    for n in range(len(_SIGNED)):
        if n == unsigned_len:
            # Cutting off the whole signature leaves a valid unsigned package; the
            # signature policy (not the parser) is what refuses it on a provisioned device.
            assert parse_package(_SIGNED[:n]).signature is None
            continue
        with pytest.raises(PackageFormatError):
            parse_package(_SIGNED[:n])
