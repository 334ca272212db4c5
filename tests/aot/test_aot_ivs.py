"""loops.py's `<`-style exit tests (docs/aot.md, "Counted loops"): a loop that runs again
while a counter X compares (lt, gt, le, ge; signed or not; either side) with a bound B it
does not move is brought to X' < B' or X' <= B' with X' growing (~X against ~B when X
falls), and runs wm_backs_*(X' at the first test, step, B') + 1 times. Here both halves
against the loop itself, run in Python: the prelude's wm_backs_* (compiled for the host)
must give the exact count or 2^32 ("not counted"), and the plan of every form, evaluated at
edge entry values, must give the count the loop runs. The red-team attacks (iv_* in
wat/redteam.wat) run the copies themselves against the interpreter."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.aot.conftest import prelude_lib
from wasmote.aot import loops
from wasmote.wasm.reader import read_module

WRAPPER = """
u64 backs_ltu(u32 x, s32 s, u32 b) { return wm_backs_ltu(x, s, b); }
u64 backs_lts(u32 x, s32 s, u32 b) { return wm_backs_lts(x, s, b); }
u64 backs_leu(u32 x, s32 s, u32 b) { return wm_backs_leu(x, s, b); }
u64 backs_les(u32 x, s32 s, u32 b) { return wm_backs_les(x, s, b); }
"""
M32 = (1 << 32) - 1
CAP = 3000              # iterations simulated before a loop counts as long
NOT_COUNTED = 1 << 32

# (wasm op, name): the eight relations
RELATIONS = [(0x48, "lt_s"), (0x49, "lt_u"), (0x4A, "gt_s"), (0x4B, "gt_u"),
             (0x4C, "le_s"), (0x4D, "le_u"), (0x4E, "ge_s"), (0x4F, "ge_u")]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    dll = prelude_lib(tmp_path_factory.mktemp("ivs"), "ivs", WRAPPER)
    for name in ("ltu", "lts", "leu", "les"):
        f = getattr(dll, f"backs_{name}")
        f.argtypes = [ctypes.c_uint32, ctypes.c_int32, ctypes.c_uint32]
        f.restype = ctypes.c_uint64
    return dll


def _s32(v: int) -> int:
    v &= M32
    return v - (1 << 32) if v >> 31 else v


def _holds(name: str, x: int, b: int) -> bool:
    """x `name` b on i32 values (wasm's relations)."""
    rel, sign = name.split("_")
    if sign == "s":
        x, b = _s32(x), _s32(b)
    else:
        x, b = x & M32, b & M32
    return {"lt": x < b, "gt": x > b, "le": x <= b, "ge": x >= b}[rel]


def _runs(name: str, x1: int, step: int, b: int, swap: bool = False) -> int | None:
    """How often a loop whose n-th test is `x1 + n * step name b` (`b name x` with swap)
    runs: 1 + the tests that hold before the first that fails; None past CAP."""
    x = x1
    for n in range(CAP):
        if not (_holds(name, b, x) if swap else _holds(name, x, b)):
            return n + 1
        x = (x + step) & M32
    return None


def _agrees(got: int, want: int | None) -> bool:
    """A count (wm_backs_* + 1) against the simulation: exact when the loop ends within
    CAP, more than CAP when it does not; "not counted" is always allowed (the copy is
    then not taken: only a count that is wrong is unsafe)."""
    if got == NOT_COUNTED + 1:
        return True
    return got == want if want is not None else got > CAP


edges = st.sampled_from([0, 1, 2, 3, 0x7FFFFFFC, 0x7FFFFFFE, 0x7FFFFFFF, 0x80000000,
                         0x80000001, 0x80000003, 0xFFFFFFFC, 0xFFFFFFFE, 0xFFFFFFFF, 100])
values = st.one_of(edges, st.builds(lambda e, d: (e + d) & M32, edges,
                                    st.integers(-40, 40)), st.integers(0, M32))


@settings(max_examples=600, deadline=None)
@given(x1=values, b=values, s=st.sampled_from([1, 2, 3, 4, 7, 1 << 20]),
       name=st.sampled_from(["ltu", "lts", "leu", "les"]))
def test_backs_count_the_loop_exactly_or_say_not_counted(lib: ctypes.CDLL, x1: int, b: int,
                                                         s: int, name: str) -> None:
    got = getattr(lib, f"backs_{name}")(x1, s, b) + 1
    rel = f"{name[:2]}_{name[2]}"
    assert _agrees(got, _runs(rel, x1, s, b)), (name, hex(x1), s, hex(b), got)


def test_backs_at_the_bounds(lib: ctypes.CDLL) -> None:
    # a bound the counter never passes (the largest value, `<=`): not counted
    assert lib.backs_leu(0, 1, M32) == NOT_COUNTED
    assert lib.backs_les(0, 1, 0x7FFFFFFF) == NOT_COUNTED
    # started at or past the bound: the body runs once (0 branches back)
    assert lib.backs_lts(0x80000000, 1, 0x80000000) == 0
    assert lib.backs_ltu(5, 1, 5) == 0 and lib.backs_leu(6, 1, 5) == 0
    # 2^32 - 1 branches back: the longest counted loop
    assert lib.backs_ltu(0, 1, M32) == M32
    # a step that could carry the counter past the end of its range: not counted
    assert lib.backs_ltu(0, 16, 0xFFFFFFF8) == NOT_COUNTED
    assert lib.backs_lts(0, 1000, 0x7FFFFFFF) == NOT_COUNTED


def _wat(op: int, step: int, swap: bool, tee: bool) -> str:
    """A loop testing the counter after its update (tee: `br_if (i < n)` on the tee'd
    value) or before it, through a local (sglib's `ok = i < n; i += s; br_if ok`)."""
    name = dict(RELATIONS)[op]
    upd = f"(i32.add (local.get $i) (i32.const {step}))"
    x = f"(local.tee $i {upd})" if tee else "(local.get $i)"
    a, b = ("(local.get $n)", x) if swap else (x, "(local.get $n)")
    test = f"(i32.{name} {a} {b})"
    body = f"(br_if $l {test})" if tee else \
        f"(local.set $ok {test}) (local.set $i {upd}) (br_if $l (local.get $ok))"
    return f"""(module (func (param $i i32) (param $n i32) (result i32)
      (local $t i32) (local $ok i32)
      (loop $l (local.set $t (i32.add (local.get $t) (i32.const 1))) {body})
      (local.get $t)))"""


def _at(lin: loops.Lin, env: dict[int, int]) -> int:
    """A form's value in the first iteration (mod 2^32) with the locals at entry `env`."""
    return (sum(c * env[k] for k, c in lin.terms) + lin.const) & M32


FORMS = [(op, step, swap, tee) for op, _ in RELATIONS for step in (1, -1, 3, -3)
         for swap in (False, True) for tee in (False, True)]


def _expected_direction(op: int, step: int, swap: bool) -> bool:
    """Whether the counter moves towards the bound (the forms loops.py counts)."""
    rel = dict(RELATIONS)[op][:2]
    if swap:
        rel = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}[rel]
    return (rel in ("lt", "le")) == (step > 0)


@pytest.mark.parametrize("form", FORMS)
def test_every_form_counts_its_loop(lib: ctypes.CDLL, tmp_path: Path,
                                    form: tuple[int, int, bool, bool]) -> None:
    op, step, swap, tee = form
    src = tmp_path / "f.wat"
    src.write_text(_wat(op, step, swap, tee))
    wasm = tmp_path / "f.wasm"
    subprocess.run(["wat2wasm", str(src), "-o", str(wasm)], check=True)
    mod = read_module(wasm.read_bytes())
    instrs = mod.funcs[0].instrs
    arity = [(2, 1)], [(2, 1)]
    i = next(j for j, ins in enumerate(instrs) if ins.op == 0x03)
    plan = loops.plan_loop(instrs, i, *arity, accesses=False)
    if not _expected_direction(op, step, swap):
        assert plan is None, form   # counting away from the bound: wraps, not counted
        return
    assert plan is not None and plan.bound is not None and plan.counter.step > 0, form
    name = dict(RELATIONS)[op]
    cmp = plan.cmp
    assert cmp[2] == name[3] and cmp[:2] in ("lt", "le"), (form, cmp)
    starts = [0, 1, 5, 0x7FFFFFF0, 0x7FFFFFFF, 0x80000000, 0x80000004, 0xFFFFFFF0,
              0xFFFFFFFF, 0xFFFFFFFB]
    for i0 in starts:
        for n0 in starts:
            env = {0: i0, 1: n0}
            got = getattr(lib, f"backs_{cmp}")(_at(plan.counter, env), plan.counter.step,
                                               _at(plan.bound, env)) + 1
            first = (i0 + step) & M32 if tee else i0
            want = _runs(name, first, step, n0, swap)
            assert _agrees(got, want), (form, hex(i0), hex(n0), got, want)
