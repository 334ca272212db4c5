"""A trap report's frames named for the user (wasmote.debug): a frame whose offset a device
reports outside its function (a damaged or hostile report) is shown raw, never as a
negative place inside the function."""

from __future__ import annotations

import pytest

from tests.harness.wat import wat_module
from wasmote.debug.symbols import DebugInfo, describe
from wasmote.debug.trace import TrapFrame, TrapReport

WAT = """(module
  (func (result i32) i32.const 1 i32.const 0 i32.div_u)
  (func (export "run") (result i32) call 0))"""


@pytest.fixture(scope="module")
def info(tmp_path_factory: pytest.TempPathFactory) -> DebugInfo:
    return DebugInfo(wat_module(tmp_path_factory, "symbols", WAT).read_bytes())


def test_a_frame_inside_its_function_is_named_by_its_place(info: DebugInfo) -> None:
    body = info._ran.body(0)  # where func 0's instructions lie
    assert body is not None
    div = body.instrs[-2]  # the i32.div_u (the last instruction is `end`)
    text = describe(TrapReport("trap: integer divide by zero", (TrapFrame(0, div),)), info)
    assert text == f"trap: integer divide by zero in func[0]+0x{div - body.start:x}"


@pytest.mark.parametrize("offset", [0, 0xFFFFFFFF])
def test_a_frame_outside_its_function_is_shown_raw(info: DebugInfo, offset: int) -> None:
    text = describe(TrapReport("trap: unreachable", (TrapFrame(1, offset),)), info)
    assert text == f"trap: unreachable in func[1]@0x{offset:x}"
    assert "-" not in text
