"""A red team's attacks on the AOT translator's check elimination (docs/aot.md): loops.py's
counted loops, guards.py, dominated.py, ranges.py and CHKL, loopfuel.py's charge-free
copies, narrow.py, outerloops.py, cmpbound.py, and call sites that pass constants.
tests/aot/wat/redteam.wat holds one function per attack and wat/redteam.calls the arguments
that sit on its edges;
tests/aot/c/aot_unit.c's "redteam" case (run by test_aot_unit.py) runs each against the
interpreter in slices of fuel from 1 up (results, trap messages, suspensions, fuel left,
the whole memory at the end, and where each suspension happened: the fuel left is 0 at
every one, so it notes what the program has made visible there, a hash of the attacks'
progress words, the first and last 256 bytes of the first page and the exported globals),
and test_the_attacks_on_the_cortex_m4 runs them (those that end) on the M4F under QEMU,
where the checks take their 32-bit forms (wm_range_ok32, GRP_OKM's one compare, CHKM,
CHKL's u32 limit) that the host never runs: with no fuel metered, then cut by the spec
driver's `slices` with the same memory hashed at each suspension (`watch`, `trail`),
against the interpreter's answers. Every loop whose fuel is charged ahead, joined or tested
once (loopfuel.py, walkfuel.py, prepay.py, rangehoist.py, outerloops.py, guardhoist.py)
stores its counters to those progress words each iteration, so a suspension one iteration
early or late shows even where no trap follows (a fuel test one outer run too generous was
seen only by r_flast's trap before). An attack is only worth
running if it reaches the transformation it attacks: this file checks that each does (or,
for the loops that must not get a charge-free copy, that none is made), so a translator
change that stops an optimisation from firing on these shapes shows here instead of
silently making the attack moot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.aot.conftest import wat_to_wasm
from tests.firmware.conftest import spectest_image
from tests.harness.aot_spec_transport import AotTransport
from tests.harness.spec_driver import DriverProcess, StreamTransport, Transport
from wasmote import posix_build
from wasmote.aot import (
    cmpbound,
    guardhoist,
    narrow,
    outerloops,
    paramfacts,
    rangehoist,
    returnfacts,
)
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import target_for_board
from wasmote.aot.translate import translate
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

HERE = Path(__file__).resolve().parent

# what each attack's C must hold (at least this many of each): the transformation attacked
REACHES = {
    # loops.py: counted loops checked once (RANGE_OK), bases wrapping at 2^32
    "up4": ("RANGE_OK", "FUEL_COVERS"), "down4": ("RANGE_OK", "FUEL_COVERS"),
    "shl": ("RANGE_OK",), "mul12": ("RANGE_OK",), "straddle": ("RANGE_OK",),
    # ... counting by a copy of a local the body reuses (rotated counters)
    "rot": ("RANGE_OK",), "o_rot": (outerloops.MARK,),
    # loopfuel.py: counters that skip their end, `<` loops that wrap, exits by return/trap
    "skip3": ("FUEL_COVERS",), "skip2": ("FUEL_COVERS",), "leave": ("FUEL_COVERS",),
    "ltu_wrap": ("wm_backs_ltu",), "lts_wrap": ("wm_backs_lts",),
    "gtu_fall": ("wm_backs_ltu",),
    # guards.py: invariant bases plus bounded indexes, an alias made before the loop
    "g_s8": ("GRP_OKM(l",), "g_alias": ("GRP_OKM(l",), "g_select": ("GRP_OKM(l",),
    "g_grow": ("GRP_OKM(l",),
    # CHKL: one limit in a loop-free function; ranges.py: byte indexes to the last byte
    "chkl": ("CHKL(",), "d_if": ("CHKL(",), "cp": ("CHKL(",),
    # walkfuel.py: a round of copies charged ahead (three copies, one with two)
    "walk": ("CHARGE_AHEAD",), "walk_out": ("CHARGE_AHEAD",), "states": ("CHARGE_AHEAD",),
    # outerloops.py: a counted loop with an inner loop, its top-level accesses tested once
    "o_walk": (outerloops.MARK,),
    # rangehoist.py: an inner loop's RANGE_OK made before the loop around it
    "r_dot": (rangehoist.MARK,), "r_grow": (rangehoist.MARK,),
    # ... and with it the inner loop's FUEL_COVERS
    "r_flt": (rangehoist.FUEL_MARK,), "r_ftrap": (rangehoist.FUEL_MARK,),
    "r_flast": (rangehoist.FUEL_MARK,),
    # cmpbound.py: indexes bounded by the program's own compares
    "c_sift": (cmpbound.MARK,), "c_wrap": (cmpbound.MARK,), "c_reass": (cmpbound.MARK,),
    # remat.py: a local set once from the parameters, read in a loop that recurses
    "rm": ("WM_REMAT(",),
    # paramfacts.py: a parameter's extent proved at every call (a helper passing it on, a
    # constant caller), and the helper of pf_b where it proves one read of two
    "pf_e2": (paramfacts.MARK,), "pf_bh": (paramfacts.MARK,),
    # ... down a chain of helpers that move it (each fact found in a later round)
    "rt_c2": (paramfacts.MARK,),
    # a byte's check outside a loop's ordinary copy as a < msz (CHKB; on the M4 only, the
    # host runs CHK): bytes read at the memory's last byte and one past it
    "o_moved": ("CHKB(",), "dx_widen": ("CHKB(",),
    # loops.py: `<`-style exit tests (its range test and loopfuel.py's copy on wm_backs_*)
    "iv_lts": ("wm_backs_lts", "RANGE_OK", "FUEL_COVERS"),
    "iv_ltu": ("wm_backs_ltu", "RANGE_OK", "FUEL_COVERS"),
    "iv_ges": ("wm_backs_les", "RANGE_OK", "FUEL_COVERS"),
    "iv_leu": ("wm_backs_leu", "RANGE_OK", "FUEL_COVERS"),
    "iv_gts": ("wm_backs_lts", "RANGE_OK", "FUEL_COVERS"),
    "iv_find": ("wm_backs_lts", "RANGE_OK", "FUEL_COVERS"),
    "iv_lenf": ("FUEL_COVERS(wm_backs_leu",), "iv_genf": ("FUEL_COVERS(wm_backs_les",),
    # ... a falling counter against an unsigned bound (~i <=u ~n)
    "rt_geu": ("wm_backs_leu", "RANGE_OK", "FUEL_COVERS"),
    # returnfacts.py: a callee's read of its parameter on every path, proved after it
    # returns and joined with the caller's own fact (dominated.py's union); recursion
    "u_ret": (returnfacts.MARK,), "u_insh": (returnfacts.MARK,),
}
# helpers a call site that proves nothing (a second caller, a table, a recursion that moves
# the pointer, a caller that moved it, a constant too near the end, a global's ref.func, a
# chain that moved it past what the caller proved) leaves checked
NO_PARAM = ("pf_ah", "pf_ch", "pf_dh", "pf_fh", "pf_kh", "rt_gh", "rt_c3")
# loops that must keep every charge: the counter or the bound moves in the body, a
# br_table branches back, or a rising counter runs while it is above its bound
NO_FUEL_COPY = ("bumped", "bound_moves", "table_back", "iv_bmove", "gtu_rise")
# a bound read before the body sets it: no range test (and, above, no fuel copy)
NO_IVS = ("iv_bmove",)
# a walk whose base the loop around it moves: its guard stays at the walk's entry
NO_HOIST = ("h_moved",)
# inner code that branches back to the loop, or moves its counter: no test before the loop
NO_OUTER = ("o_cont", "o_moved")
# the loop around moves the inner loop's base or bound, or sets its base on one arm only
NO_RANGE = ("r_moved", "r_count", "r_if")
# an index a signed compare cannot bound (it may be negative), one compared through another
# local, one whose bound changed after it was set: no compare-bounded copy
NO_CMP = ("c_neg", "c_other", "c_pre")
# a read of the local where a branch skips its set, or before its set
NO_REMAT = ("rm_out", "rm_before")
# calls that prove nothing of the argument on return: through the table, a callee that reads
# it on one path, returns or traps first, the argument's local reassigned, a recursion
# that reads elsewhere, a callee that assigns it on one path or returns by br_table first
NO_RETURN = ("u_ind", "u_one", "u_early", "u_moved", "u_tee", "u_rec", "rt_arm", "rt_brt")


def _functions(tmp_path: Path) -> tuple[Module, dict[str, str]]:
    wat = (HERE / "wat" / "redteam.wat").read_text()
    wasm = wat_to_wasm(tmp_path, "redteam", wat)
    mod = read_module(wasm.read_bytes())
    # the functions no export names by their $name in the text (paramfacts' helpers)
    order = re.findall(r"^  \(func(?: \$(\w+))?", wat, re.M)
    assert len(order) == len(mod.funcs)
    names = {i: n for i, n in enumerate(order) if n}
    names.update({e.index: e.name for e in mod.exports if e.kind == 0})
    assert len(set(names.values())) == len(names)
    source = translate(mod).source
    bodies = {}
    for f in re.split(r"\n(?:WM_CALL_LOOPS )?static ", source):
        m = re.match(r"\S+ wf(\d+)\(", f)
        if m and "{" in f and int(m.group(1)) in names:
            bodies[names[int(m.group(1))]] = f
    return mod, bodies


def test_every_attack_reaches_the_transformation_it_attacks(tmp_path):
    _, bodies = _functions(tmp_path)
    missing = {name: [w for w in wanted if w not in bodies[name]]
               for name, wanted in REACHES.items()}
    assert not any(missing.values()), missing
    # functions a transformation must leave alone, by the mark it leaves in their C
    for names, mark in ((NO_FUEL_COPY, "FUEL_COVERS"), (NO_HOIST, guardhoist.MARK),
                        (NO_OUTER, outerloops.MARK), (NO_RANGE, rangehoist.MARK),
                        (NO_CMP, cmpbound.MARK), (NO_REMAT, "WM_REMAT("),
                        (NO_IVS, "RANGE_OK"), (NO_PARAM, paramfacts.MARK),
                        (NO_RETURN, returnfacts.MARK)):
        marked = [name for name in names if mark in bodies[name]]
        assert not marked, (mark, marked)


# what shows that a function's fuel is charged ahead, joined or tested once, or that checks
# of its loops are made before them
OPTIMISED = ("FUEL_COVERS", "CHARGE_AHEAD", "PREPAY", rangehoist.FUEL_MARK, rangehoist.MARK,
             guardhoist.MARK, outerloops.MARK, cmpbound.MARK)
PROGRESS = "(i32.store (i32.const 0x8000)"  # aot_unit's where() hashes 0x8000..0x800f


def test_every_optimised_loop_shows_where_it_is(tmp_path):
    """Each attack whose loops the translator optimises stores its counters to the progress
    words every iteration (aot_unit notes them at each suspension): without them a
    suspension one iteration early or late shows only if a trap follows in the slice."""
    mod, bodies = _functions(tmp_path)
    exported = {e.name for e in mod.exports if e.kind == 0}
    wat = (HERE / "wat" / "redteam.wat").read_text()
    texts = {m.group(1): m.group(2) for m in
             re.finditer(r'\(func (?:\$\w+ )?\(export "(\w+)"\)(.*?)(?=\n  \(func|\Z)', wat, re.S)}
    optimised = {name for name, c in bodies.items()
                 if name in exported and any(m in c for m in OPTIMISED)}
    assert len(optimised) > 25 and {"walk", "h_walk", "r_dot", "o_walk"} <= optimised
    for name in optimised:
        loops = texts[name].count("(loop ")
        assert texts[name].count(";; where") == loops and PROGRESS in texts[name], name


def test_the_walks_run_a_round_of_copies(tmp_path):
    """walkfuel.py: the short walks run three charge-free copies after B (each reporting
    its own refund in FL), the state machine one (its charge is over 24)."""
    _, bodies = _functions(tmp_path)
    copies = {name: len(re.findall(r"#define FL \(\(uintptr_t\)\(fl \+ \d+\)\)", bodies[name]))
              for name in ("walk", "walk_out", "states")}
    assert copies == {"walk": 3, "walk_out": 3, "states": 1}


def test_a_shift_by_an_unknown_amount_does_not_keep_its_operands_interval(tmp_path):
    """2^40 - (2^40 >> n) is 2^40 - 1 for n = 40: narrow.py read the shift of a non-negative
    value by an unknown amount as that value, the difference as 0, and emitted its product
    as a 32x32 multiply (aot_unit's redteam case runs it: the high word differs)."""
    mod, _ = _functions(tmp_path)
    names = {e.name: e.index for e in mod.exports if e.kind == 0}
    f = mod.funcs[names["narrow"]]
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[fn.type_idx] for fn in mod.funcs]
    muls = [i for i, ins in enumerate(f.instrs) if ins.op == narrow.I64_MUL]
    planned = narrow.plan(f.instrs, funcs, types)
    # (v * 3): v unknown below 2^40; (0x40000000 - (0x40000000 >> m)) * 0x7fff: both
    # operands within 32 bits (the shifted i32 is non-negative: at most 0x40000000)
    assert [planned.get(i) for i in muls] == [None, narrow.MUL_S32]


def _calls() -> list[tuple[str, tuple[int, int, int], bool]]:
    """wat/redteam.calls: (function, arguments, endless?)."""
    out = []
    for line in (HERE / "wat" / "redteam.calls").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, a, b, c, *tag = line.split()
        out.append((name, (int(a, 0), int(b, 0), int(c, 0)), tag == ["endless"]))
    return out


# the attacks that grow the memory: the calls after each get a fresh instance (a memory of
# one page, where the others' edges lie)
GROWS = ("g_grow", "h_grow")


# the fuels of the driver's slices (`slices`: resumed on the device without a round trip),
# one slicing after another: short ones cut inner loops at many places (left out of a call
# that they cut more than SHORT_CUTS times: n = 0 runs 2^32 iterations), long ones let the
# tests made before a loop (FUEL_COVERS, rangehoist's, a walk's round) pass and fail, and
# a third starts each call with another fuel (the one those tests see)
SHORT, LONG = (3, 10, 29), (97, 250, 601)
SHORT_CUTS = 5000
# and, for a call whose fuel T the interpreter measured, first slices that leave T / 2^i of
# it undone: a test before a loop of n iterations of k each that is one branch back too
# generous (FUEL_COVERS) passes on a slice about k to 2k short of the loop's end, so it
# needs a first slice within [T - 2T/n, T - T/n]; these catch n up to 2^ENDS (the host's
# slices of 1 to 150 catch them all: ltu_wrap 0 100 0, T = 140, on 98 to 116 only)
ENDS = 4
# what the driver hashes at each suspension (`watch`): the first 256 bytes, the attacks'
# progress words (redteam.wat's 0x8000) and the last 256 bytes of the first page
WATCH = "watch 0 256 32768 16 65280 256"


def _slicings(k: int, short: bool, fuel: int | None) -> list[tuple[int, ...]]:
    ends = [] if fuel is None else sorted({fuel - (fuel >> i) for i in range(1, ENDS + 1)})
    return [*([SHORT] if short else []), LONG, (40 + k * 97 % 900, *LONG[1:]),
            *((f, *LONG[1:]) for f in ends if f > 0)]


def _fuel(t: Transport, call: str) -> int:
    """The fuel a call takes (the interpreter's: cut after every unit)."""
    assert t.command("fuel 1") == "ok" and t.command("slices 1") == "ok"
    t.command(call)
    cuts = int(t.command("trail").split()[2])
    assert t.command("fuel 0") == "ok" and t.command("slices") == "ok"
    return cuts + 1


def _answers(t: Transport, source: str, short: list[bool],
             fuels: list[int | None] | None = None) -> list[list[str]]:
    """For each call that ends (short[k]: the k-th with SHORT too): its answer and the
    memory's hash after it, on one instance but for the memory grown (uploading the module
    to the device takes most of the time: once per function cost 50 s), with no fuel
    metered, then in each of its slicings with where each suspension happened (`trail`: a
    hash of the watched memory at every one, and their count). Without fuels (the first
    run, on the interpreter): each call's fuel last (_fuel) where SHORT cut it at most
    SHORT_CUTS times, else None."""
    out = []
    prev = None
    for k, (name, args, _) in enumerate(c for c in _calls() if not c[2]):
        if prev is None or (name != prev and (name in GROWS or prev in GROWS)):
            assert t.command("reset") == "ok"  # the device's arena holds one module
            assert t.command(f"module - {source}") == "ok", name
            assert t.command(WATCH) == "ok"
        prev = name
        call = f"invoke - {name} " + " ".join(f"i32:{a:x}" for a in args)
        got = [t.command(call), t.command("invoke - checksum i32:0 i32:0 i32:0")]
        for cut in _slicings(k, short[k], None if fuels is None else fuels[k]):
            assert t.command(f"fuel {cut[0]}") == "ok"
            assert t.command("slices " + " ".join(map(str, cut))) == "ok"
            got += [t.command(call), t.command("trail")]
            assert t.command("fuel 0") == "ok" and t.command("slices") == "ok"
            got.append(t.command("invoke - checksum i32:0 i32:0 i32:0"))
        if fuels is None:
            got.append(str(_fuel(t, call)) if _cuts(got[:6]) <= SHORT_CUTS else "")
        out.append(got)
    return out


def _cuts(answers: list[str]) -> int:
    """The suspensions a call's `trail` answers count."""
    return sum(int(a.split()[2]) for a in answers[3::3])


@pytest.mark.qemu
@pytest.mark.slow
def test_the_attacks_on_the_cortex_m4(tmp_path):
    wasm = wat_to_wasm(tmp_path, "redteam", (HERE / "wat" / "redteam.wat").read_text())
    driver = posix_build.build_program("wasmote-spec", "release")
    calls = [c for c in _calls() if not c[2]]
    with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
        first = _answers(drv, drv.module_source(wasm), [True] * len(calls))
        short = [int(a[3].split()[2]) <= SHORT_CUTS for a in first]
        fuels = [int(a[-1]) if a[-1] else None for a in first]
        want = _answers(drv, drv.module_source(wasm), short, fuels)
    assert sum(a.startswith("trap") for w in want for a in w) > 30
    assert sum(map(_cuts, want)) > 20000  # suspensions whose place was noted
    with spectest_image("mps2-an386", answer_timeout=120) as (ser, _):
        t = AotTransport(StreamTransport(ser), target_for_board("mps2-an386"))
        t.prepare([wasm])
        got = _answers(t, t.module_source(wasm), short, fuels)
        assert t.compiled > 0, "the module did not run as AOT code"
    diffs = [(call, i, w[i], g[i]) for call, w, g in zip(calls, want, got, strict=True)
             for i in range(len(w)) if w[i] != g[i]]  # i: 3, 6, 9 are the trails
    assert not diffs, diffs[:5]


def _big_leaf(n: int) -> str:
    """A leaf whose n i64 locals all stay live: GCC gives it a frame of about 8n bytes."""
    sets = "\n".join(f"    (local.set $x{i} (i64.extend_i32_u (i32.mul (local.get $p) "
                     f"(i32.const {i + 3}))))" for i in range(n))
    mix = "\n".join(f"    (local.set $x{i} (i64.mul (local.get $x{(i * 7) % n}) (local.get $x{i})))"
                    for i in range(n))
    total = "(local.get $x0)"
    for i in range(1, n):
        total = f"(i64.add (i64.rotl {total} (i64.const {i % 63})) (local.get $x{i}))"
    locals_ = " ".join(f"(local $x{i} i64)" for i in range(n))
    return f"""(module
  (func (export "leaf") (param $p i32) (result i64) {locals_}
{sets}
{mix}
    {total}))
"""


def test_an_entry_into_a_leaf_checks_that_the_stack_holds_its_frame(tmp_path, host_target):
    """A leaf checks no stack: the limit of the functions that call keeps the code's largest
    frame free below them. An entry from the runtime straight into a leaf was not checked at
    all, so a run whose region was smaller than the frame (a small limits.stack_slots, or a
    nested call deep in its caller's stack: aot_exec.c asks only 512 bytes) ran the leaf
    below its region: with 400 slots (3.2 KB) a 4.8 KB leaf crashed the driver (SIGSEGV)
    where the interpreter traps. The entry now compares sp with the limit (ENTRY_STACK)."""
    wasm = wat_to_wasm(tmp_path, "bigleaf", _big_leaf(600))
    data = wasm.read_bytes()
    aot = compile_wasm(data, host_target, source=str(wasm)).aot
    frame = int.from_bytes(aot.code[24:28], "little")  # the header's largest frame
    assert frame > 4000, frame
    pkg = tmp_path / "bigleaf.wmp"
    pkg.write_bytes(Package(Manifest("bigleaf", Version(0, 0, 0)), data, (aot,)).to_bytes())
    driver = posix_build.build_program("wasmote-spec", "release")
    for slots, runs in ((128, False), (400, False), (8192, True)):  # x 8 bytes
        for module in (wasm, pkg):
            with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
                assert drv.command(f"limit stack {slots}") == "ok"
                assert drv.command(f"module - {drv.module_source(module)}") == "ok"
                got = drv.command("invoke - leaf i32:5")
            assert got.startswith("ok") if runs else "call stack exhausted" in got, \
                (slots, module.name, got)
