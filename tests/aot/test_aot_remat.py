"""remat.py: which locals are read as the pure expression of the parameters they were set
to, and only in functions whose loops recurse (translate.py). The red team's rm, rm_out and
rm_before (tests/aot/wat/redteam.wat) run such functions against the interpreter."""

from __future__ import annotations

import re

import pytest

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import remat
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

# each body in a function (param $a i32) (param $b i32) (result i32) with locals $x, $y
# (i32) and $w (i64); the plan for $x (local 2), or None
CASES = {
    # LLVM's shape: set before the loop, read in it and after it, in the same block
    "in_block": ("""(block $o (br_if $o (local.get $a))
        (local.set $x (i32.add (local.get $a) (i32.const 1616)))
        (loop $l (br_if $l (i32.lt_u (local.get $x) (local.get $b))))
        (drop (local.get $x)))""", "(WM_REMAT(l0) + 0x650u)"),
    "tree": ("""(local.set $x (i32.shl (i32.sub (local.get $b) (local.get $a)) (i32.const 2)))
        (drop (local.get $x))""", "((WM_REMAT(l1) - WM_REMAT(l0)) << (0x2u & 31))"),
    "negative": ("""(local.set $x (i32.add (local.get $a) (i32.const -2)))
        (drop (local.get $x))""", "(WM_REMAT(l0) + 0xfffffffeu)"),
    # a branch skips the set: the read after the block sees 0
    "after_block": ("""(block $o (br_if $o (local.get $a))
        (local.set $x (i32.add (local.get $a) (i32.const 1))))
        (drop (local.get $x))""", None),
    "else_arm": ("""(if (local.get $a) (then (local.set $x (i32.add (local.get $a) (i32.const 1))))
        (else (drop (local.get $x))))""", None),
    "before": ("""(loop $l (drop (local.get $x))
        (local.set $x (i32.add (local.get $a) (i32.const 1))) (br_if $l (local.get $b)))""",
               None),
    "twice": ("""(local.set $x (i32.add (local.get $a) (i32.const 1)))
        (local.set $x (i32.add (local.get $a) (i32.const 2))) (drop (local.get $x))""", None),
    "tee": ("""(drop (local.tee $x (i32.add (local.get $a) (i32.const 1))))
        (drop (local.get $x))""", None),
    # an operand assigned somewhere: its value at the read may differ
    "assigned_operand": ("""(local.set $x (i32.add (local.get $a) (i32.const 1)))
        (local.set $a (i32.const 5)) (drop (local.get $x))""", None),
    "traps": ("""(local.set $x (i32.div_u (local.get $a) (local.get $b)))
        (drop (local.get $x))""", None),
    "load": ("""(local.set $x (i32.load (local.get $a))) (drop (local.get $x))""", None),
    "never_read": ("""(local.set $x (i32.add (local.get $a) (i32.const 1)))""", None),
}


def _func(tmp_path, body: str):
    wat = f"""(module (memory 1)
      (func (param $a i32) (param $b i32) (result i32) (local $x i32) (local $y i32)
        (local $w i64) {body} (i32.const 0)))"""
    mod = read_module(wat_to_wasm(tmp_path, "f", wat).read_bytes())
    f = mod.funcs[0]
    return f.instrs, [*mod.types[f.type_idx].params, *f.local_types()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_which_locals_are_read_as_their_expression(tmp_path, name):
    body, want = CASES[name]
    instrs, types = _func(tmp_path, body)
    assert remat.plan(instrs, types, 2).get(2) == want


def test_a_parameter_or_an_i64_is_never_planned(tmp_path):
    instrs, types = _func(tmp_path, """(local.set $w (i64.extend_i32_u (local.get $a)))
        (drop (local.get $w))""")
    assert remat.plan(instrs, types, 2) == {}


def test_only_functions_whose_loops_recurse_read_it_again(tmp_path):
    """In a loop without such calls GCC keeps the value in a register: sglib's iterator
    lost 1 % when its two such locals were computed at each read."""
    body = """(local.set $x (i32.add (local.get $a) (i32.const 7)))
      (loop $l (br_if $l (i32.lt_u (local.get $x) (local.tee $b (i32.sub (local.get $b)
        (i32.const 1))))) {call})
      (local.get $x)"""
    wat = f"""(module
      (func $r (param $a i32) (param $b i32) (result i32) (local $x i32)
        {body.format(call="(drop (call $r (local.get $b) (i32.const 0)))")})
      (func $p (param $a i32) (param $b i32) (result i32) (local $x i32)
        {body.format(call="")}))"""
    src = translate(read_module(wat_to_wasm(tmp_path, "r", wat).read_bytes())).source
    bodies = {}
    for f in re.split(r"\n(?:WM_CALL_LOOPS )?static ", src):
        m = re.match(r"\S+ wf(\d+)\(", f)
        if m and "{" in f:
            bodies[int(m.group(1))] = f
    assert bodies[0].count("WM_REMAT(l0) + 0x7u") == 2  # $r's two reads
    assert "WM_REMAT(" not in bodies[1]
