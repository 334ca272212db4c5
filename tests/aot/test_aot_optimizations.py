"""The AOT compiler's bounds-check optimisations against the interpreter, on generated
modules built to sit on their edges: combined checks of straight-line segments (checks.py),
checks hoisted out of counted loops (loops.py) and out of loops whose bases do not change
(guards.py), and checks left out where the address range lies within the declared memory
(ranges.py: constant addresses, tables indexed by masked or loaded bytes, right up to the
last byte of the page and one byte past it) or where an earlier access proved it on every
path (dominated.py). Loops run with bases that stay in
bounds, that leave the memory in the last iteration (the trap must come after exactly the
same stores), that are negative and rely on i32 wrap-around, and that wrap at 2^32; the
answers and a checksum of the memory afterwards must equal the interpreter's."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from tests.aot.conftest import wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import Target
from wasmote.aot.translate import translate
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.wasm.reader import read_module

CHECKSUM = """
  (func (export "checksum") (result i32) (local $i i32) (local $h i32)
    (loop $l
      (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31))
                             (i32.load (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (i32.const 65536))))
    (local.get $h))"""


def counted_loop(rng: random.Random) -> tuple[list[tuple[int, int, int]], str]:
    """A loop counting $i by STEP to 0, reading at $p + C (moving by PSTEP) and at a
    derived $q + $i, storing at $p + C2."""
    step = rng.choice([1, 2, 4, 8, 16, -4, -8])
    pstep = rng.choice([0, 4, 8, -4, 192, -768])
    c1, c2 = rng.choice([0, 4, 576, 41088, -192]), rng.choice([0, 8, 100, -8])
    o1, o2 = rng.choice([0, 4, 12]), rng.choice([0, 2, 16])
    ne = rng.random() < 0.5  # the two forms compilers emit for "until $i reaches 0"
    cond = (f"(i32.ne (local.tee $i (i32.add (local.get $i) (i32.const {step}))) "
            f"(i32.const 0))" if ne else
            f"(local.tee $i (i32.add (local.get $i) (i32.const {step})))")
    sign = -1 if step < 0 else 1  # $i starts on the side it counts from
    return ARGS, f"""(module
  (memory 1)
  (func (export "run") (param $p i32) (param $q i32) (param $i i32) (result i32)
    (local $acc i32) (local $r i32)
    (local.set $i (i32.mul (local.get $i) (i32.const {sign})))
    (loop $l
      (local.set $acc (i32.add (local.get $acc)
        (i32.load offset={o1} (i32.add (local.get $p) (i32.const {c1})))))
      (local.set $r (i32.add (local.get $q) (local.get $i)))
      (local.set $acc (i32.xor (local.get $acc) (i32.load16_u offset={o2} (local.get $r))))
      (i32.store offset={o2} (i32.add (local.get $p) (i32.const {c2})) (local.get $acc))
      (i64.store8 (i32.add (local.get $p) (i32.const {c1 + 3})) (i64.const 7))
      (local.set $p (i32.add (local.get $p) (i32.const {pstep})))
      (br_if $l {cond}))
    (local.get $acc)){CHECKSUM})
"""


def segment(rng: random.Random) -> tuple[list[tuple[int, int, int]], str]:
    """Straight-line groups of accesses around two locals, stores between them."""
    offs = sorted(rng.sample([0, 4, 8, 12, 16, 64, 200, 1000, 4096], 4))
    cs = [rng.choice([0, 8, -8, 192, -192, 65000]) for _ in offs]
    body = "\n".join(
        f"      (i32.store offset={o} (i32.add (local.get $a) (i32.const {c}))"
        f" (i32.add (i32.load offset={o} (i32.add (local.get $b) (i32.const {c})))"
        f" (i32.const {k})))"
        for k, (o, c) in enumerate(zip(offs, cs, strict=True)))
    return ARGS, f"""(module
  (memory 1)
  (func (export "run") (param $a i32) (param $b i32) (param $x i32) (result i32)
{body}
      (i32.load (local.get $a))){CHECKSUM})
"""


def table(rng: random.Random) -> tuple[list[tuple[int, int, int]], str]:
    """Tables at constant addresses indexed by masked, shifted and loaded values (ranges.py),
    whose last entry ends exactly at the end of the page - or one byte past it."""
    mask, sh = rng.choice([(255, 2), (255, 0), (15, 3), (0xFFF, 1), (7, 2)])
    size = rng.choice([4, 2, 1])
    span = (mask << sh) + size
    over = rng.choice([0, 0, 1])  # 1: the last entry sticks out of the memory by a byte
    off = rng.choice([0, 4, 40])
    base = 65536 - span - off + over
    load = {4: "i32.load", 2: "i32.load16_u", 1: "i32.load8_u"}[size]
    c = rng.choice([0, 100, 65532, 65533])
    return TABLE_ARGS, f"""(module
  (memory 1)
  (func (export "run") (param $p i32) (param $q i32) (param $x i32) (result i32)
    (local $k i32) (local $acc i32)
    (local.set $k (i32.and (local.get $x) (i32.const {mask})))
    (local.set $acc ({load} offset={off}
      (i32.add (i32.const {base}) (i32.shl (local.get $k) (i32.const {sh})))))
    (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=65280
      (i32.load8_u (local.get $q)))))
    (i32.store8 (i32.rem_u (local.get $p) (i32.const 65536)) (local.get $acc))
    (i32.store16 offset=2 (i32.const {c}) (local.get $acc))
    (local.get $acc)){CHECKSUM})
"""


def branches(rng: random.Random) -> tuple[list[tuple[int, int, int]], str]:
    """Accesses through one local on several paths (dominated.py): proved by an earlier
    access on every path - or on only some (an if without else, a loop's back-edge), or
    before the local changed on one of them. The last kind must keep their checks."""
    o = [rng.choice([0, 2, 4, 8, 12, 96]) for _ in range(6)]
    d, s = rng.choice([65000, -4, 4]), rng.choice([200, 64, -2])
    return BRANCH_ARGS, f"""(module
  (memory 1)
  (func (export "run") (param $p i32) (param $q i32) (param $x i32) (result i32)
    (local $acc i32)
    (local.set $acc (i32.load offset=100 (local.get $p)))
    (if (i32.and (local.get $x) (i32.const 1))
      (then (local.set $acc (i32.load offset={o[0]} (local.get $p))))
      (else (local.set $p (i32.add (local.get $p) (i32.const {d})))))
    (local.set $acc (i32.add (local.get $acc) (i32.load16_u offset={o[1]} (local.get $p))))
    (i32.store8 offset={o[2]} (local.get $p) (local.get $acc))
    (if (i32.and (local.get $x) (i32.const 4))
      (then (local.set $acc (i32.add (local.get $acc) (i32.load offset=60 (local.get $q))))))
    (local.set $acc (i32.add (local.get $acc) (i32.load offset=50 (local.get $q))))
    (if (i32.eq (local.get $x) (i32.const 8)) (then (return (local.get $acc))))
    (local.set $acc (i32.add (local.get $acc) (i32.load offset=100 (local.get $q))))
    (block $b (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset={o[3]} (local.get $q))))
      (br_if $b (i32.eqz (local.get $x)))
      (i32.store16 offset={o[4]} (local.get $q) (local.get $acc))
      (local.set $acc (i32.xor (local.get $acc) (i32.load offset={o[5]} (local.get $q))))
      (local.set $x (i32.shr_u (local.get $x) (i32.const 2)))
      (if (i32.and (local.get $x) (i32.const 2))
        (then (local.set $q (i32.add (local.get $q) (i32.const {s})))))
      (br $l)))
    (i32.load8_u offset={o[3]} (local.get $q))){CHECKSUM})
"""


def walk(rng: random.Random) -> tuple[list[tuple[int, int, int]], str]:
    """A loop that is not counted (it walks a table until a negative byte, at most $x
    times): accesses at parameters plus a masked index, a loaded byte or a select between
    constants (guards.py), with tables ending at the memory's last byte or one past it."""
    mask, o1 = rng.choice([255, 63, 7]), rng.choice([0, 4, 200])
    a = rng.choice([-4, 0, 2, o1 + mask - 3])  # r's table: within p's, or just outside it
    c1, c2 = rng.choice([(0, 100), (1000, 60000), (65280, 16)])
    p_fit = 65536 - mask - o1 - 1  # the table's last byte is the memory's last
    q_fit = 65536 - max(mask, 255) - max(c1, c2) - 1
    args = [(0, 0, 300), (p_fit, 0, mask), (p_fit + 1, 0, mask), (p_fit + 1, 0, mask - 1),
            (0, q_fit, mask), (0, q_fit + 1, mask), (7, q_fit + 1, 2), (p_fit, q_fit, 40),
            (0xFFFFFF00, 4, 9), (65200, 1000, 200), (4, 0xFFFFFFF0, 3), (0xFFFFFFFF, 0, 0),
            (0xFFFFFFFC, 0, 8), (0, 0xFFFFFFFF, 0)]
    return args, f"""(module
  (memory 1)
  (func (export "run") (param $p i32) (param $q i32) (param $x i32) (result i32)
    (local $k i32) (local $acc i32) (local $r i32)
    (local.set $k (local.get $x))
    (local.set $r (i32.add (local.get $p) (i32.const {a})))  ;; guarded as p + {a}
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset={o1}
        (i32.add (local.get $p) (local.tee $k (i32.and (local.get $k) (i32.const {mask})))))))
      (local.set $acc (i32.xor (local.get $acc) (i32.load8_u (i32.add (local.get $r)
        (i32.and (local.get $k) (i32.const 3))))))
      (i32.store8 (i32.add (i32.add (local.get $q) (local.get $k))
        (select (i32.const {c1}) (i32.const {c2}) (i32.and (local.get $acc) (i32.const 1))))
        (i32.sub (local.get $acc) (local.get $x)))
      (local.set $acc (i32.add (local.get $acc)
        (i32.load8_u (i32.add (local.get $q) (i32.load8_u (local.get $k))))))
      (local.set $k (i32.load8_s (i32.add (local.get $q) (local.get $k))))
      (local.set $x (i32.sub (local.get $x) (i32.const 1)))
      (br_if $l (i32.and (i32.ge_s (local.get $k) (i32.const 0))
                         (i32.gt_s (local.get $x) (i32.const 0)))))
    (local.get $acc)){CHECKSUM})
"""


# (p, q, -trips * 16): every start is a multiple of every step, so each loop ends
ARGS = [(0, 0, -64), (100, 4000, -16), (65000, 0, -32), (65532, 65530, -16),
        (0xFFFFFF00, 0x100, -96), (0x7FFFFFF0, 8, -16), (40000, 60000, -400),
        (0xFFFFFFFC, 0xFFFFFFFC, -16), (60000, 1000, -4096), (70000, 0, -16)]


GENERATORS = (counted_loop, segment, table, branches, walk, counted_loop)


@pytest.fixture(scope="module")
def modules(tmp_path_factory, host_target) -> list[tuple[Path, Path, list[tuple[int, int, int]]]]:
    rng = random.Random(20261203)
    out = tmp_path_factory.mktemp("aot_opt")
    pairs = []
    for k in range(54):
        args, wat = GENERATORS[k % len(GENERATORS)](rng)
        wasm = wat_to_wasm(out, f"m{k}", wat)
        data = wasm.read_bytes()
        aot = compile_wasm(data, host_target, source=str(wasm)).aot
        pkg = out / f"m{k}.wmp"
        pkg.write_bytes(Package(Manifest(f"m{k}", Version(0, 0, 0)), data, (aot,)).to_bytes())
        pairs.append((wasm, pkg, args))
    return pairs


# calls one driver process runs: the driver keeps every module it loaded until it exits, so
# a fresh instance per call needs a new process now and then (the red team's 373 calls
# filled a 128 MB arena)
_CALLS_PER_DRIVER = 100


def run(driver: Path, module: Path, calls: list[str], checksum: str = "invoke - checksum",
        arena_mb: int = 64) -> list[str]:
    """Each call on a fresh instance of `module`, and then its `checksum` call's answer."""
    answers = []
    for at in range(0, len(calls), _CALLS_PER_DRIVER):
        with DriverProcess(driver, ["--arena-mb", str(arena_mb)]) as drv:
            for call in calls[at:at + _CALLS_PER_DRIVER]:
                assert drv.command(f"module - {drv.module_source(module)}") == "ok"
                answers.append(drv.command(call))
                answers.append(drv.command(checksum))
    return answers


# table modules: x hits every mask's last entry (-1) and more; p and q any address
TABLE_ARGS = [(0, 0, -1), (65535, 65535, 255), (70000, 100, 0), (7, 65535, 0xFFF),
              (0xFFFFFFFF, 3, 15), (1, 2, 0x7FFFFFFF), (65536, 0, 6), (12345, 54321, -256),
              (65534, 0, 4094), (2, 65534, 254)]

# branch modules: both arms, short and long loops, addresses at the end of the memory
BRANCH_ARGS = [(0, 0, 0), (65400, 65300, 1), (536, 65336, 2), (100, 65334, 0xFF),
               (65432, 65400, 0x5555), (0xFFFFFFFC, 8, 3), (536, 65300, 0xAAAA),
               (65476, 0, 0xF0), (65420, 65400, 0xA), (65440, 65334, 0x1B), (1, 65420, 0x2),
               (65482, 65332, 0x22), (0, 65484, 0x2), (7, 65483, 0), (0, 65400, 0x2B),
               (0, 65484, 8), (0, 65482, 8)]


def test_optimised_checks_match_the_interpreter(modules):
    driver = posix_build.build_program("wasmote-spec", "release")
    traps = oks = 0
    for wasm, pkg, args in modules:
        calls = [f"invoke - run i32:{a & 0xFFFFFFFF:x} i32:{b & 0xFFFFFFFF:x} "
                 f"i32:{c & 0xFFFFFFFF:x}" for a, b, c in args]
        interp = run(driver, wasm, calls)
        native = run(driver, pkg, calls)
        diffs = list(zip(calls, interp[::2], native[::2], strict=True))
        assert native == interp, f"{wasm.name}: {diffs}"
        traps += sum(a.startswith("trap") for a in interp[::2])
        oks += sum(a.startswith("ok") for a in interp[::2])
    assert traps > 50 and oks > 30  # both sides of the edges are exercised


def test_the_optimisations_fire(modules):
    """The generated modules do reach every optimisation (else the test above is moot)."""
    loops = segments = unchecked = checked = branch_unchecked = guarded = 0
    for k, (wasm, _, _) in enumerate(modules):
        kind = GENERATORS[k % len(GENERATORS)]
        c = translate(read_module(wasm.read_bytes())).source
        loops += c.count("wm_trips(")
        # (the fuel slice: first and returned with the result, wm_rf; by address, FUEL_P)
        run = next(f for f in c.split("\nstatic ") if re.match(
            r"(wm_rf|u32) wf0\((intptr_t fl, )?wm_aot_ctx \*c( FUEL_P)?, u32 l0", f))
        if kind is segment:
            segments += len(re.findall(r"GRP_OKM?\(", run))
        if kind is table:  # the accesses of run
            unchecked += sum(1 for ln in run.splitlines() if "EA(" in ln and "CHK" not in ln)
            checked += sum(1 for ln in run.splitlines() if "EA(" in ln and "CHK" in ln)
        if kind is branches:  # proved by earlier accesses
            branch_unchecked += sum(1 for ln in run.splitlines()
                                    if "EA(" in ln and "CHK" not in ln)
        if kind is walk:  # the guarded copy of the loop
            guarded += len(re.findall(r"GRP_OKM?\(l", run))
    assert loops >= 10 and segments >= 10, (loops, segments)
    assert unchecked >= 20 and checked >= 5, (unchecked, checked)
    assert branch_unchecked >= 10, branch_unchecked
    assert guarded >= 18, guarded


EDGES = """(module
  (memory 1)
  (data (i32.const 10) "\\ff\\fe")
  ;; a loaded byte plus 65280: the last byte of the page at most, so no check is needed
  (func (export "edge") (param $q i32) (result i32)
    (i32.load8_u offset=65280 (i32.load8_u (local.get $q))))
  ;; one byte further: 65536 is outside the memory, the check must stay
  (func (export "past") (param $q i32) (result i32)
    (i32.load8_u offset=65281 (i32.load8_u (local.get $q))))
  ;; a local that only ever holds 0 or x & 255 (ranges.py's flow-insensitive interval),
  ;; 4 bytes at 65277 + it: 65532 at most, the last valid start; at 65278 + it, one past
  (func (export "local") (param $x i32) (result i32) (local $k i32)
    (local.set $k (i32.and (local.get $x) (i32.const 255)))
    (i32.load offset=65277 (local.get $k)))
  (func (export "local_past") (param $x i32) (result i32) (local $k i32)
    (local.set $k (i32.and (local.get $x) (i32.const 255)))
    (i32.load offset=65278 (local.get $k)))
  ;; a 16-bit table at 65532 indexed by (x & 3) << 1: entries 0 and 1 in, 2 and 3 out
  (func (export "table") (param $x i32) (result i32)
    (i32.load16_u (i32.add (i32.const 65532)
                           (i32.shl (i32.and (local.get $x) (i32.const 3)) (i32.const 1))))))
"""

# (call, argument, in bounds?)
EDGE_CALLS = [("edge", 10, True), ("edge", 11, True), ("past", 11, True), ("past", 10, False),
              ("local", 255, True), ("local", 0x1FF, True), ("local_past", 254, True),
              ("local_past", 255, False), ("local_past", 0xFFFFFFFF, False),
              ("table", 0, True), ("table", 1, True), ("table", 2, False), ("table", 7, False)]


def test_an_access_outside_the_proven_range_still_traps(tmp_path, host_target):
    """The accesses whose range reaches the last byte of the memory go unchecked; one byte
    further they keep their check and trap exactly as the interpreter does (a range one
    too wide in ranges.py or translate.py would let the AOT code read past the memory)."""
    wasm = wat_to_wasm(tmp_path, "edges", EDGES)
    data = wasm.read_bytes()
    source = translate(read_module(data)).source
    bodies = [f for f in source.split("\nstatic ")  # (not the wf<j>_q copies of leaves)
              if re.match(r"u32 wf\d+\(", f) and "{" in f]
    fn = dict(zip(("edge", "past", "local", "local_past", "table"), bodies, strict=True))
    # checked accesses per function (the load of q itself is always checked: a parameter)
    checked = {name: f.count("CHK") for name, f in fn.items()}
    assert checked == {"edge": 1, "past": 2, "local": 0, "local_past": 1, "table": 1}
    _in_bounds_or_trap(tmp_path, host_target, wasm,
                       [(f"{name} i32:{arg:x}", inside) for name, arg, inside in EDGE_CALLS])


def _in_bounds_or_trap(tmp_path: Path, host_target: Target, wasm: Path,
                       calls: list[tuple[str, bool]]) -> None:
    """Each call (`invoke` arguments, in bounds?) on a fresh instance, interpreted and AOT:
    ok when in bounds, an out-of-bounds trap otherwise."""
    data = wasm.read_bytes()
    pkg = tmp_path / f"{wasm.stem}.wmp"
    aot = compile_wasm(data, host_target, source=str(wasm)).aot
    pkg.write_bytes(Package(Manifest(wasm.stem, Version(0, 0, 0)), data, (aot,)).to_bytes())
    driver = posix_build.build_program("wasmote-spec", "release")
    for module in (wasm, pkg):
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            for args, inside in calls:
                assert drv.command(f"module - {drv.module_source(module)}") == "ok"
                got = drv.command(f"invoke - {args}")
                if inside:
                    assert got.startswith("ok"), (module.name, args, got)
                else:
                    assert got.startswith("trap") and "out of bounds" in got, \
                        (module.name, args, got)


# a loop too big for GCC's small-function inlining (growth limits): only the called-once
# rule would fold it into its caller
_MIX_STEPS = "\n".join(
    f"      (local.set $s (i32.xor (i32.rotl (local.get $s) (i32.const {k + 1}))"
    f" (i32.mul (i32.load offset={4 * k} (local.get $p)) (local.get $n))))" for k in range(8))
CALLED_ONCE = f"""(module
  (memory 1)
  (func $mix (param $p i32) (param $n i32) (result i32) (local $s i32)
    (loop $l
{_MIX_STEPS}
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  (func (export "run") (param $n i32) (result i32)
    (i32.add (call $mix (i32.const 16) (local.get $n)) (i32.const 1))))
"""


def test_functions_called_once_stay_apart(tmp_path, host_target):
    """GCC keeps a wasm function called from one place as a function of its own, as the
    native build of the same C does (link.py, -fno-inline-functions-called-once): folded
    into its caller, a whole program's loops share one register allocation."""
    wasm = wat_to_wasm(tmp_path, "once", CALLED_ONCE)
    keep = tmp_path / "keep"
    keep.mkdir()
    compile_wasm(wasm.read_bytes(), host_target, source=str(wasm), keep_dir=keep,
                 use_cache=False)
    syms = subprocess.run(["nm", str(keep / "module-0.elf")], capture_output=True, text=True,
                          check=True).stdout.split()
    # GCC may specialise it (wf0.constprop.0: its constant argument), not fold it
    assert any(s == "wf0" or s.startswith("wf0.") for s in syms), \
        f"the function called once was folded into its caller: {syms}"


GROWS = """(module
  (memory 1)
  (table 1 funcref)
  (elem (i32.const 0) $grow)
  (func $grow (drop (memory.grow (i32.const 1))))
  (func $mid (call $grow))
  (func $pure (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $indirect (call_indirect (i32.const 0)))
  ;; each reads past the first page, valid only once a call grew the memory
  (func (export "direct") (result i32)
    (drop (call $pure (i32.load (i32.const 60000))))
    (call $mid)
    (i32.load (i32.const 70000)))
  (func (export "through_table") (result i32)
    (drop (call $pure (i32.load (i32.const 60000))))
    (call $indirect)
    (i32.load (i32.const 140000))))
"""


def test_the_memory_size_is_read_again_after_a_call_that_may_grow_it(tmp_path, host_target):
    """After a call to a function that cannot grow the memory (no memory.grow, import or
    call_indirect on any path) the code keeps the size it had; after any other call it
    reads it again (translate.py, _may_grow): the accesses past the first page succeed."""
    wasm = wat_to_wasm(tmp_path, "grows", GROWS)
    data = wasm.read_bytes()
    source = translate(read_module(data)).source
    bodies = {f.split("(")[0].split()[-1]: f for f in source.split("\nstatic ") if "{" in f}
    # the entry's load, and one after the call that grows (not after $pure)
    assert bodies["wf4"].count("MSZ_LOAD()") == 2 and bodies["wf5"].count("MSZ_LOAD()") == 2
    pkg = tmp_path / "grows.wmp"
    aot = compile_wasm(data, host_target, source=str(wasm)).aot
    pkg.write_bytes(Package(Manifest("grows", Version(0, 0, 0)), data, (aot,)).to_bytes())
    driver = posix_build.build_program("wasmote-spec", "release")
    with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
        assert drv.command(f"module - {drv.module_source(pkg)}") == "ok"
        assert drv.command("invoke - direct") == "ok i32:0"
        assert drv.command("invoke - through_table") == "ok i32:0"


def _leaf_with_br_table(targets: int) -> str:
    labels = " ".join(str(i % 2) for i in range(targets))
    return f"""(module
  (func $pick (param i32) (result i32)
    (block (block (br_table {labels} 0 (local.get 0))) (return (i32.const 1)))
    (i32.const 2))
  (func (export "run") (param i32) (result i32) (call $pick (local.get 0))))
"""


def test_a_leaf_long_in_br_table_targets_gets_no_copy(tmp_path):
    """A short leaf's calls run a copy of it (CHARGE3); its length counts a br_table's
    targets, each of which is code: the spec's br_table module (one br_table of thousands of
    targets in a leaf of few instructions) grew to 66 KB of M4 code with the copy, more than
    the MPU's regions could cover."""
    def copies(targets: int) -> bool:
        wasm = wat_to_wasm(tmp_path, f"brt{targets}", _leaf_with_br_table(targets))
        return "wf0_q(" in translate(read_module(wasm.read_bytes())).source
    assert copies(8)
    assert not copies(200)


def test_a_leaf_copy_takes_the_slice_by_value(tmp_path):
    """The copy a covered call runs (CHARGE3) gets the caller's slice by value and gives
    nothing back: its return was paid at the call, so the caller's slice is the one it
    keeps. By address (the checking copy's FUEL_P) it cost the M4 a store and a load on each
    side of a call GCC does not inline (sglib-combined's malloc). Its traps' fuel is
    aot_unit's `leaf` case (tests/aot/wat/leaf.wat: a trap in the copy in every slice)."""
    wasm = wat_to_wasm(tmp_path, "brt8", _leaf_with_br_table(8))
    src = translate(read_module(wasm.read_bytes())).source
    copy = src[src.index("static u32 wf0_q(intptr_t flq, wm_aot_ctx *c, u32 l0) {"):]
    copy = copy[:copy.index("\n}\n")]
    assert "FUEL_IN_Q(" in copy and "flp" not in copy and "FUEL_RET_P" not in copy
    assert "wf0_q(fl, c, " in src  # the caller passes its slice, no address
    assert "wf0(c FUEL_A, " in src  # the checking copy still by address


# accesses of k = 1 and k = 48 in one function: both check against msz - 48 (CHKL)
ONE_LIMIT = """(module
  (memory 1)
  (func (export "mixed") (param $p i32) (param $q i32) (result i32)
    (i32.add (i32.load8_u (local.get $p))
             (i32.wrap_i64 (i64.load offset=40 (local.get $q))))))
"""

# (p, q, in bounds?): a byte load above the shared limit (msz - 48) up to the last byte
ONE_LIMIT_CALLS = [(0, 0, True), (65488, 0, True), (65535, 0, True), (65536, 0, False),
                   (0xFFFFFFFF, 0, False), (0, 65488, True), (0, 65489, False),
                   (0, 0xFFFFFFD8, False)]


def test_accesses_sharing_one_limit_trap_exactly(tmp_path, host_target):
    """A function's accesses of small k check against one limit, msz minus their largest k
    (translate.py's check, the prelude's CHKL); an address above it but in bounds for its
    own k takes the exact second compare and succeeds, one byte further it traps (a limit
    without the second compare would trap the byte load at 65 535)."""
    wasm = wat_to_wasm(tmp_path, "one_limit", ONE_LIMIT)
    data = wasm.read_bytes()
    source = translate(read_module(data)).source
    assert "CHKL(" in source and "CHKM(" not in source and "km = 48u" in source
    _in_bounds_or_trap(tmp_path, host_target, wasm,
                       [(f"mixed i32:{p:x} i32:{q:x}", inside) for p, q, inside in ONE_LIMIT_CALLS])
