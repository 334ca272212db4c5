"""Facts about parameters that every call site proved (aot/paramfacts.py): which entry
facts the fixed point gives, and, as important, which it must not (a caller that proves
nothing or less, a table or an export, a recursion that moves the pointer, a caller that
moved it after its proof). wat/redteam.wat's pf_* attacks run such code against the
interpreter at the memory's edges (tests/aot/test_aot_unit.py's redteam case)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import paramfacts
from wasmote.aot.translate import escaping_functions, translate
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

HERE = Path(__file__).resolve().parent

# sglib's recursive insert: `e` passed down unchanged (its caller wrote 16 bytes of it),
# the slot moved to a field of a node only 4 bytes of which were proved; a walk that
# passes its pointer on to a mutual partner; a function only a dead cycle calls
RECURSIVE = """(module
  (memory 1)
  (func $ins (param $slot i32) (param $e i32) (local $t i32)
    (local.set $t (i32.load (local.get $slot)))
    (if (i32.eqz (local.get $t))
      (then (i32.store (local.get $slot) (local.get $e))
            (i32.store8 offset=4 (local.get $e) (i32.const 1))
            (return)))
    (if (i32.lt_s (i32.load (local.get $e)) (i32.load (local.get $t)))
      (then (call $ins (i32.add (local.get $t) (i32.const 8)) (local.get $e)))
      (else (call $ins (i32.add (local.get $t) (i32.const 12)) (local.get $e)))))
  (func $ping (param $p i32) (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $pong (local.get $p) (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.load offset=8 (local.get $p)))))
  (func $pong (param $p i32) (param $n i32) (result i32)
    (call $ping (local.get $p) (local.get $n)))
  (func $dead (param $p i32) (result i32)
    (call $dead (i32.add (local.get $p) (i32.const 4))))
  (func (export "add") (param $root i32) (param $e i32) (result i32)
    (i64.store offset=8 (local.get $e) (i64.const 0))
    (i32.store (local.get $e) (i32.const 7))
    (call $ins (local.get $root) (local.get $e))
    (i32.store offset=12 (local.get $root) (i32.const 0))
    (call $ping (local.get $root) (i32.const 3))))
"""


def _facts(mod: Module) -> list[dict[int, int]]:
    ta = [(len(t.params), len(t.results)) for t in mod.types]
    fa = [ta[t] for t in mod.func_type_indices()]
    return paramfacts.entry_facts(mod, escaping_functions(mod), ta, fa, 65536)


def test_a_recursion_keeps_what_it_passes_on_unchanged(tmp_path):
    mod = read_module(wat_to_wasm(tmp_path, "rec", RECURSIVE).read_bytes())
    # ins: e good to 16 (the caller's i64 at 8), the slot nothing (t + 8 after a word at
    # t); ping and pong: the root good to 16 through each other; dead: nothing (a cycle
    # no export enters, its pointer moved by 4 a round)
    assert _facts(mod)[:4] == [{1: 16}, {0: 16}, {0: 16}, {}]
    c = translate(mod).source
    ins = c[c.index("static intptr_t wf0("):]
    ins = ins[:ins.index("\n}")]
    # left: the slot's and the node t's, both at +0 (e's three accesses need none)
    assert paramfacts.MARK in ins and re.findall(r"CHKL\(\w+, \d+u\)", ins) == [
        "CHKL(s0i, 4u)", "CHKL(s1i, 4u)"]


def test_the_attacks_helpers_get_only_the_facts_every_caller_proves(tmp_path):
    wat = (HERE / "wat" / "redteam.wat").read_text()
    mod = read_module(wat_to_wasm(tmp_path, "redteam", wat).read_bytes())
    order = re.findall(r"^  \(func(?: \$(\w+))?", wat, re.M)
    facts = _facts(mod)
    got = {n: facts[i] for i, n in enumerate(order) if n and n.startswith("pf_")}
    assert got == {
        "pf_e1": {0: 8}, "pf_e2": {0: 8},  # a store to p + 8, and 65528 (65536 - 8)
        "pf_ah": {},                       # pf_a2 proves nothing
        "pf_bh": {0: 8},                   # 8 and 16 proved: the smaller
        "pf_ch": {},                       # in the table
        "pf_dh": {},                       # p + 4 passed down
        "pf_fh": {},                       # the caller's p reassigned after its proof
        "pf_kh": {0: 6},                   # 65530
    }


# a chain that moves the pointer at each link: in the first round f is still at the
# optimistic start, so g's fact falls from it without reaching 2^32 (it used to be dropped
# there: g and h got nothing)
CHAIN = """(module
  (memory 1)
  (func $f (param $p i32) (result i32) (call $g (i32.add (local.get $p) (i32.const 4))))
  (func $g (param $p i32) (result i32) (call $h (i32.add (local.get $p) (i32.const 2))))
  (func $h (param $p i32) (result i32) (i32.load (local.get $p)))
  (func (export "run") (param $p i32) (result i32)
    (drop (i32.load offset=12 (local.get $p)))
    (call $f (local.get $p))))
"""


def test_a_chain_of_helpers_that_move_the_pointer_keeps_its_facts(tmp_path):
    mod = read_module(wat_to_wasm(tmp_path, "chain", CHAIN).read_bytes())
    assert _facts(mod)[:3] == [{0: 16}, {0: 12}, {0: 10}]
