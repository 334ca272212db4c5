"""Modules built with a feature beyond WebAssembly 2.0 are refused at the first byte that
uses it, with the spec's message (the spec tests compare its start) and the feature's name
(wasmote/wasm/features.py), so a user knows which toolchain flag to turn off."""

from __future__ import annotations

import pytest

from tests.cli_invoke import assert_one_error_line, run_cli
from wasmote.wasm.errors import WasmError
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module

HEADER = b"\0asm\1\0\0\0"


def _sec(i: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([i, len(body)]) + body


def _vec(items: list[bytes]) -> bytes:
    return bytes([len(items)]) + b"".join(items)


VOID = b"\x60\x00\x00"


def _module(code: bytes = b"", locals_: bytes = b"\x00", memory: bytes | None = None,
            types: bytes = VOID, extra: bytes = b"") -> bytes:
    """One function of type 0 with `code`; `memory`: the memory section's entries."""
    body = locals_ + code + b"\x0b"
    mems = _sec(5, memory) if memory is not None else b""
    return (HEADER + _sec(1, _vec([types])) + _sec(3, b"\x01\x00") + mems + extra
            + _sec(10, _vec([bytes([len(body)]) + body])))


CASES = [
    ("SIMD", _module(b"\xfd\x0c" + b"\x00" * 16 + b"\x1a"), "illegal opcode"),
    ("SIMD (v128)", _module(locals_=b"\x01\x01\x7b"), "malformed value type"),
    ("SIMD (v128)", _module(types=b"\x60\x01\x7b\x00"), "malformed value type"),
    ("tail calls", _module(b"\x12\x00"), "illegal opcode"),
    ("threads (atomics)", _module(b"\x41\x00\xfe\x10\x02\x00\x1a", memory=b"\x01\x00\x01"),
     "illegal opcode"),
    ("threads (shared memory)", _module(memory=b"\x01\x03\x01\x01"), "integer too large"),
    ("memory64", _module(memory=b"\x01\x04\x01"), "integer too large"),
    ("multi-memory", _module(memory=b"\x02\x00\x01\x00\x01"), "multiple memories"),
    ("multi-memory", _module(b"\x41\x00\x28\x42\x01\x00\x1a", memory=b"\x01\x00\x01"),
     "alignment must not be larger than natural"),
    ("exception handling", _module(b"\x06\x40\x0b"), "illegal opcode"),
    ("exception handling", _module(b"\x1f\x40\x00\x0b"), "illegal opcode"),
    ("exception handling (tag section)", _module(extra=_sec(13, b"\x01\x00\x00")),
     "malformed section id"),
    ("extended constant expressions",
     _module(extra=_sec(6, b"\x01\x7f\x00\x41\x01\x41\x02\x6a\x0b")),
     "constant expression required, got i32.add"),
    ("GC (struct types)", HEADER + _sec(1, b"\x01\x5f\x00"), "integer representation too long"),
    ("typed function references", _module(locals_=b"\x01\x01\x64"), "malformed value type"),
]


@pytest.mark.parametrize("feature,wasm,spec", CASES, ids=[c[0] + str(i) for i, c in
                                                           enumerate(CASES)])
def test_a_feature_beyond_2_0_is_named(feature, wasm, spec):
    with pytest.raises(WasmError) as e:
        validate_module(read_module(wasm))
    assert e.value.message.startswith(spec)
    assert f"({feature}: a feature beyond WebAssembly 2.0" in e.value.message
    assert e.value.offset > 0


def test_2_0_refusals_name_no_feature():
    with pytest.raises(WasmError) as e:
        read_module(_module(b"\xff"))
    assert e.value.message == "illegal opcode"


def test_a_component_is_told_apart(tmp_path):
    path = tmp_path / "c.wasm"
    path.write_bytes(b"\0asm\x0d\x00\x01\x00")
    assert_one_error_line(run_cli("validate", str(path)),
                          "c.wasm:0x4: unknown binary version (a WebAssembly component")


def test_the_cli_says_it_in_one_line(tmp_path):
    path = tmp_path / "simd.wasm"
    path.write_bytes(CASES[0][1])
    for cmd in (["validate"], ["strip", "-o", str(tmp_path / "o.wasm")]):
        assert_one_error_line(run_cli(*cmd, str(path)),
                              "simd.wasm:0x17: illegal opcode (SIMD: a feature beyond")
