"""Writer round-trip over every spec-suite binary module that reads.

Canonically encoded inputs must come back byte for byte. The others (padded LEB128s,
which the suite uses on purpose) must re-encode strictly shorter and decode to the same
module: read(write(read(x))) == read(x).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wasmote.wasm.errors import MalformedError
from wasmote.wasm.reader import read_module
from wasmote.wasm.writer import write_module


def _readable_modules(spec_json_dir: Path) -> list[Path]:
    out = []
    for jf in sorted(spec_json_dir.glob("*/*.json")):
        for cmd in json.loads(jf.read_text())["commands"]:
            if cmd["type"] in ("module", "assert_unlinkable", "assert_uninstantiable",
                               "assert_invalid"):
                out.append(jf.parent / cmd["filename"])
    return out


def test_roundtrip_spec_modules(spec_json_dir, capsys):
    exact = shorter = 0
    paths = _readable_modules(spec_json_dir)
    for path in paths:
        raw = path.read_bytes()
        try:
            mod = read_module(raw)
        except MalformedError:
            continue  # the two listed in spec_exclusions.py
        out = write_module(mod)
        if out == raw:
            exact += 1
            continue
        shorter += 1
        assert len(out) < len(raw), f"{path.name}: re-encoding is not shorter"
        again = read_module(out)
        assert again == mod, path.name
        assert write_module(again) == out, path.name
    with capsys.disabled():
        print(f"\nround-trip: {exact} of {exact + shorter} spec modules byte-exact, "
              f"{shorter} non-canonical re-encoded shorter and equal")
    assert exact > 2500
    assert shorter < 100


def test_customs_and_empty_sections_keep_position():
    # type section (empty), custom "a", function section (empty), custom "b".
    raw = bytes.fromhex("0061736d01000000" "010100" "000201" "61" "030100" "0003016278")
    mod = read_module(raw)
    assert [c.name for c in mod.customs] == ["a", "b"]
    assert [c.after for c in mod.customs] == [1, 3]
    assert write_module(mod) == raw


def test_modified_module_reencodes():
    raw = bytes.fromhex("0061736d01000000" "0105016000017f" "03020100" "0a06010400412a0b")
    mod = read_module(raw)
    body = mod.funcs[0].instrs
    assert [i.op for i in body] == [0x41, 0x0B]
    body[0].imm = (-1,)
    assert read_module(write_module(mod)).funcs[0].instrs[0].imm == (-1,)


@pytest.mark.parametrize("flags", range(8))
def test_element_segment_variants_roundtrip(flags):
    # One table, one function, an element segment of each binary variant.
    elem = bytearray([flags])
    if flags & 1 == 0:  # active
        if flags & 2:
            elem += b"\x00"
        elem += b"\x41\x00\x0b"
    if flags & 3:
        elem += b"\x70" if flags & 4 else b"\x00"
    elem += b"\x01" + (b"\xd2\x00\x0b" if flags & 4 else b"\x00")
    sec = b"\x01" + bytes(elem)
    raw = (bytes.fromhex("0061736d01000000" "0104016000000302010004040170000109")
           + bytes([len(sec)]) + sec + bytes.fromhex("0a040102000b"))
    mod = read_module(raw)
    assert mod.elems[0].flags == flags
    assert write_module(mod) == raw
