"""Trap traces on the pre-decoded path (docs/predecoded.md, "Trace map"): the posix device
runs a module's pre-decoded form by default; a trap there must name, for every frame, the
same function and code offset as the in-place interpreter (the trapping instruction; for
callers, their call), or `wasmote exec` names the wrong source lines. The QEMU images run
forms too: the same traces on mps2-an386 (one boot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.wat import wat_module
from tests.sim_client import booted_client
from wasmote.device.client import DeviceClient
from wasmote.runtime.exec import ExecRequest, Trap, prepare, run_export, run_prepared

# Each trap sits after a few instructions that cannot trap (so offset 0 or a neighbour's
# offset is wrong), two or three calls deep (direct, and indirect through the table).
WAT = r"""
(module
  (type $t (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $mid $leaf_load)
  (memory 1)
  (func $leaf_load (param i32) (result i32)
    local.get 0 i32.const 3 i32.add i32.const 60000 i32.mul i32.load offset=8)
  (func $leaf_store (param i32) (result i32)
    local.get 0 i32.const 1 i32.add local.get 0 i64.extend_i32_u i64.store offset=70000
    i32.const 0)
  (func $leaf_div (param i32) (result i32)
    i32.const 7 local.get 0 i32.const 1 i32.sub i32.div_u)
  (func $leaf_trunc (param i32) (result i32)
    f64.const 1e300 local.get 0 f64.convert_i32_s f64.mul i32.trunc_f64_s)
  (func $leaf_unreachable (param i32) (result i32)
    local.get 0 drop nop unreachable)
  (func $leaf_fill (param i32) (result i32)
    i32.const 65000 local.get 0 i32.const 1000 memory.fill i32.const 0)
  (func $leaf_table (param i32) (result i32)
    local.get 0 i32.const 9 i32.add table.get 0 ref.is_null)
  (func $leaf_indirect (param i32) (result i32)
    local.get 0 local.get 0 i32.const 5 i32.add call_indirect (type $t))
  (func $mid (param i32) (result i32)
    local.get 0 i32.const 1 i32.add drop
    local.get 0 i32.const 1 call_indirect (type $t))
  (func (export "load") (param i32) (result i32)
    i32.const 1 drop local.get 0 i32.const 0 call_indirect (type $t))
  (func (export "store") (param i32) (result i32) nop local.get 0 call $leaf_store)
  (func (export "div") (param i32) (result i32) nop local.get 0 call $leaf_div)
  (func (export "trunc") (param i32) (result i32) nop local.get 0 call $leaf_trunc)
  (func (export "unreachable") (param i32) (result i32)
    nop local.get 0 call $leaf_unreachable)
  (func (export "fill") (param i32) (result i32) nop local.get 0 call $leaf_fill)
  (func (export "table") (param i32) (result i32) nop local.get 0 call $leaf_table)
  (func (export "indirect") (param i32) (result i32)
    nop local.get 0 call $leaf_indirect))
"""
TRAPS = {
    "load": "out of bounds memory access",
    "store": "out of bounds memory access",
    "div": "integer divide by zero",
    "trunc": "integer overflow",
    "unreachable": "unreachable",
    "fill": "out of bounds memory access",
    "table": "out of bounds table access",
    "indirect": "undefined element",
}


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wat_module(tmp_path_factory, "pd_trace", WAT)


def _trace(module: Path, export: str, in_place: bool) -> tuple[str, list[tuple[int, int]]]:
    with pytest.raises(Trap) as e:
        run_export(ExecRequest(module, export, ("i32:1",), in_place=in_place))
    return e.value.reason, [(f.func, f.offset) for f in e.value.frames]


@pytest.mark.parametrize("export", sorted(TRAPS))
def test_trace_is_the_same_in_place_and_pre_decoded(module: Path, export: str) -> None:
    in_place = _trace(module, export, in_place=True)
    assert in_place[0] == TRAPS[export] and len(in_place[1]) >= 2, in_place
    assert all(off > 0 for _, off in in_place[1]), in_place
    assert _trace(module, export, in_place=False) == in_place


@pytest.fixture(scope="module")
def board() -> Iterator[DeviceClient]:
    with booted_client("mps2-an386", timeout=10.0) as c:
        yield c


@pytest.mark.qemu
def test_trace_on_a_board_is_the_in_place_trace(module: Path, board: DeviceClient) -> None:
    for export in sorted(TRAPS):
        req = ExecRequest(module, export, ("i32:1",), timeout=60.0)
        mods = prepare(req)[0]
        try:
            res = run_prepared(board, mods, req)
            [entry] = [m for m in board.modules(detail=True) if m.name == mods[0].name]
            assert entry.code == "pre-decoded", entry
        finally:
            board.remove(mods[0].name)
        assert res.trap is not None, export
        got = res.trap.reason, [(f.func, f.offset) for f in res.trap.frames]
        assert got == _trace(module, export, in_place=True), export
