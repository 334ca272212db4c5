"""Accesses whose bounds an earlier access proved on every path (aot/dominated.py): which
ones it leaves unchecked, and, as important, which it must not (an if without else, a
loop's back-edge, a local assigned on one path, a larger extent, a block a branch leaves
early). tests/aot/test_aot_optimizations.py runs such code against the interpreter at
the memory's edges."""

from __future__ import annotations

import re
from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import dominated, returnfacts
from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE
from wasmote.wasm.reader import read_module

# Each access says in its comment whether it must be proved: P yes, C no (checked).
FUNCS = """(module
  (memory 1)
  (func (param $p i32) (param $q i32) (param $x i32) (result i32) (local $a i32)
    (local.set $a (i32.load offset=8 (local.get $p)))                    ;; C first
    (local.set $a (i32.load16_u offset=8 (local.get $p)))                ;; P smaller extent
    (local.set $a (i32.load offset=9 (local.get $p)))                    ;; C one byte more
    (if (local.get $x)
      (then (local.set $a (i32.load offset=40 (local.get $q))))          ;; C
      (else (local.set $a (i32.load offset=40 (local.get $q)))))         ;; C
    (local.set $a (i32.load offset=36 (local.get $q)))                   ;; P both arms
    (if (local.get $x) (then (drop (i32.load offset=100 (local.get $q))))) ;; C
    (local.set $a (i32.load offset=100 (local.get $q)))                  ;; C one arm only
    (local.set $a (i32.load offset=97 (local.get $q)))                   ;; P
    (if (local.get $x) (then (local.set $q (local.get $x))))
    (local.set $a (i32.load offset=40 (local.get $q)))                   ;; C q changed
    (i32.store offset=12 (i32.add (local.get $p) (i32.const 4)) (local.get $a)) ;; C
    (i32.store8 offset=15 (i32.add (local.get $p) (i32.const 4)) (local.get $a)) ;; P
    (block $b
      (br_if $b (local.get $x))
      (drop (i32.load offset=200 (local.get $p))))                       ;; C
    (local.set $a (i32.load offset=200 (local.get $p)))                  ;; C skipped by br_if
    (loop $l
      (local.set $a (i32.load offset=200 (local.get $p)))                ;; C back-edge
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (local.get $x)))
    (local.set $a (i32.load offset=200 (local.get $p)))                  ;; C p moved
    (loop $m
      (local.set $a (i32.load offset=500 (local.get $q)))                ;; C
      (local.set $a (i32.load offset=496 (local.get $q)))                ;; P
      (br_if $m (local.get $x)))
    (local.set $a (i32.load offset=500 (local.get $q)))                  ;; P loop ran once
    (local.get $a)))
"""


def _accesses(tmp_path: Path) -> tuple[list[int], frozenset[int], list[str]]:
    wasm = wat_to_wasm(tmp_path, "d", FUNCS)
    mod = read_module(wasm.read_bytes())
    instrs = mod.funcs[0].instrs
    at = [i for i, ins in enumerate(instrs) if ins.op in LOAD_SIZE or ins.op in STORE_SIZE]
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[f.type_idx] for f in mod.funcs]
    marks = [ln.split(";;")[1].split()[0] for ln in FUNCS.splitlines() if ";; " in ln]
    return at, dominated.proven(instrs, types, funcs), marks


def test_only_accesses_proved_on_every_path_go_unchecked(tmp_path):
    at, proven, marks = _accesses(tmp_path)
    assert len(at) == len(marks)
    got = ["P" if i in proven else "C" for i in at]
    assert got == marks, list(zip(marks, got, strict=True))


def _redteam_proven(tmp_path: Path, names: tuple[str, ...]) -> dict[str, int]:
    """How many accesses dominated.py proves in each named function of wat/redteam.wat."""
    here = Path(__file__).resolve().parent
    wasm = wat_to_wasm(tmp_path, "redteam", (here / "wat" / "redteam.wat").read_text())
    mod = read_module(wasm.read_bytes())
    index = {e.name: e.index for e in mod.exports if e.kind == 0}
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[f.type_idx] for f in mod.funcs]
    return {n: len(dominated.proven(mod.funcs[index[n] - mod.num_imported_funcs].instrs,
                                    types, funcs)) for n in names}


def test_a_copy_of_a_local_plus_a_constant_carries_its_facts(tmp_path):
    """dc_ok: `a = p + 32`, then a word at p + 32 proves the store at a (after p moved) and
    a word at a - 4; the attacks next to it (the source moved, copies that differ on two
    arms, an extent read below or past what was proved) prove nothing: each has a call in
    wat/redteam.calls that traps exactly where a slightly wrong rule would not check."""
    got = _redteam_proven(tmp_path, ("dc_ok", "dc_src", "dc_merge", "dc_below", "dc_above"))
    assert got == {"dc_ok": 2, "dc_src": 0, "dc_merge": 0, "dc_below": 0, "dc_above": 0}


def test_a_copy_takes_its_sources_facts_and_a_merge_keeps_what_both_paths_prove(tmp_path):
    """dx_shift: `a = p + 8` after a word at p proves a word at a - 8 (p moved since);
    dx_meet: 8 bytes at p on one arm and at p + 4 on the other prove 4 bytes at p + 4 after
    the if, not 8; dx_tail: sglib's merge tail, `t = p + 4` before p's next is read proves
    the store through t in the next round (entering, t copies a word read at x), and with
    only two bytes read at x (dx_tail16) not; dx_widen: a pointer moved through a copy
    shrinks the fact from before its loop each round, the loop's read stays checked.
    wat/redteam.calls has for each a call that traps where a slightly wrong rule would not
    check."""
    got = _redteam_proven(tmp_path, ("dx_shift", "dx_meet", "dx_widen", "dx_tail",
                                     "dx_tail16"))
    assert got == {"dx_shift": 1, "dx_meet": 1, "dx_widen": 0, "dx_tail": 1, "dx_tail16": 0}


def test_two_facts_of_one_local_join_only_where_a_call_returns(tmp_path):
    """u_gap: a word at p and one at p + 12 are not joined (the union applies only to a
    call's return facts: u_ret, below); u_span: a fact and a call's 64 KiB apart are not
    joined either."""
    got = _redteam_proven(tmp_path, ("u_gap", "u_span"))
    assert got == {"u_gap": 0, "u_span": 0}


def test_a_call_proves_what_its_callee_read_on_every_return(tmp_path):
    """returnfacts.py: $u_h reads its first parameter on every path; $u_oneh on one, $u_earlyh
    after a return that skips it, $u_rech (recursive) at s - 4n; $u_insh reads *s first,
    then recurses. Only u_ret's caller and u_insh learn from their calls (u_ret: the word
    at p + 8 after reading p and calling with p + 12; u_insh: t's byte at 4 after reading
    t and recursing on t + 8). Without the union neither learns anything."""
    here = Path(__file__).resolve().parent
    wasm = wat_to_wasm(tmp_path, "redteam", (here / "wat" / "redteam.wat").read_text())
    mod = read_module(wasm.read_bytes())
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[f.type_idx] for f in mod.funcs]
    rets = returnfacts.return_facts(mod, types, funcs)
    wat = (here / "wat" / "redteam.wat").read_text()
    order = re.findall(r"^  \(func(?: \$(\w+))?(?: \(export \"(\w+)\"\))?", wat, re.M)
    index = {a or b: i for i, (a, b) in enumerate(order)}
    assert rets[index["u_h"]] == {(0, 0): 4}
    assert rets[index["u_insh"]] == {(0, 0): 4}
    for name in ("u_oneh", "u_earlyh", "u_rech", "u_nh"):
        assert index[name] not in rets, name

    def gained(name: str) -> int:
        instrs = mod.funcs[index[name]].instrs
        return (len(dominated.proven(instrs, types, funcs, None, rets))
                - len(dominated.proven(instrs, types, funcs)))
    got = {n: gained(n) for n in ("u_ret", "u_insh", "u_ind", "u_one", "u_early",
                                  "u_moved", "u_tee", "u_rec")}
    assert got == {"u_ret": 1, "u_insh": 1, "u_ind": 0, "u_one": 0, "u_early": 0,
                   "u_moved": 0, "u_tee": 0, "u_rec": 0}
