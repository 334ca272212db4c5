"""Differential execution of modules shaped like compiled C, aimed at the AOT translator's
proofs (docs/aot.md, docs/reliability.md).

binaryen's random modules (tests/campaigns/differential.py) almost never hold the shapes
the translator's check, fuel and stack proofs look for; this generator writes modules
that do, randomly combined and nested with random constants: counted loops (`!=`, `<`,
`<=`, `>`, `>=`, signed and unsigned, counting up or down by 1..16, the counter kept in a
local or through `local.tee`, a copy of it, early `br_if` exits, a second induction
variable for the address, bases `p + c` with c negative or near 2^32), pointer walks,
straight runs of accesses at several offsets of one base (every load and store width),
guards and compare-bounded indexes, recursive and mutually recursive helpers passing
`p + c` and reading their parameter before and after the call, helpers that reassign
their parameter on one path, reached by direct calls, through the table, a global's
`ref.func` and as exports, memory.grow in a helper, memory.fill / copy. Memories of 1 or 2
pages, some with a capped maximum. Calls pass pointers near the memory's end
(`msz - k + d`, 0, 0xFFFFFFF0..0xFFFFFFFF) and trip counts that make the last iteration
straddle it.

The modules run on differential.py's engines (interp, aot, and the two sliced by fuel).
Loops may run for 2^32 iterations (a counter that skips its bound), so every call has a
fuel cap, the same on every engine: the interpreter runs first; when it runs out, the
sliced engines run the call unsliced under the same cap (answer `outoffuel`, the memory
then as it was at the cut, which the next `__memhash` compares). Caps are sometimes
small, so calls also stop in the middle of their loops: a charge too early or too late
shows as a different answer or memory. Every call is followed by `__memhash`.

The report counts the proofs the translator made in the generated code (marks in the C
of `wasmote.aot.translate`): the generator is worthless where they do not fire.

    python -m tests.campaigns.aot_shapes --modules 200 --seed 1
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.campaigns.common import CAMPAIGN_DIR, CampaignError, Stopwatch, Table
from tests.campaigns.differential import (
    MEMHASH,
    MEMHASH_WAT,
    SLICES,
    Call,
    DriverEngine,
    Engine,
    Outcome,
    aot_available,
    aot_engine,
    conclude,
    load_everywhere,
    make_engines,
    nan_blind,
    trap_kind,
)
from tests.harness.spec_driver import Answer, escape_name
from wasmote.runtime.values import Value

PAGE = 65536
PROGRESS = (0x8000, 0x8004)  # the outer and inner loops' counters, stored each iteration

# What the translator's proofs leave in the C (a mark per proof that fired), counted per
# module: the unit test and the report check that the generator reaches them.
PROOF_MARKS: dict[str, str] = {
    "RANGE_OK": r"RANGE_OK\(",             # loops.py: a counted loop's accesses tested once
    "FUEL_COVERS": r"FUEL_COVERS\(",       # loopfuel.py: a charge-free copy
    "wm_backs": r"wm_backs_\w+\(",         # loops.py: `<`-style exits counted
    "EAF": r"EAF\(",                       # an access with no check of its own
    "CHARGE_AHEAD": r"CHARGE_AHEAD\(",     # walkfuel.py
    "PREPAY": r"PREPAY\(",                 # prepay.py
    "GRP_OK": r"GRP_OKM?\(",               # checks.py / guards.py: a group tested once
    "CHKL": r"CHKL\(",                     # one limit in a loop-free function
    "CHKB": r"CHKB\(",
    "WM_REMAT": r"WM_REMAT\(",             # remat.py
    "paramfacts": re.escape("(paramfacts)"),
    "returnfacts": re.escape("(returnfacts)"),
    "outerloops": re.escape("(outerloops)"),
    "rangehoist": re.escape("rangehoist */"),
    "guardhoist": re.escape("guardhoist */"),
    "cmpbound": re.escape("(cmpbound)"),
}
_MARK_RES = {k: re.compile(v) for k, v in PROOF_MARKS.items()}

# (instruction, bytes, value type) of every load and store form
LOADS = (("i32.load", 4, "i32"), ("i32.load8_s", 1, "i32"), ("i32.load8_u", 1, "i32"),
         ("i32.load16_s", 2, "i32"), ("i32.load16_u", 2, "i32"), ("i64.load", 8, "i64"),
         ("i64.load8_u", 1, "i64"), ("i64.load8_s", 1, "i64"), ("i64.load16_s", 2, "i64"),
         ("i64.load16_u", 2, "i64"), ("i64.load32_u", 4, "i64"), ("i64.load32_s", 4, "i64"))
STORES = (("i32.store", 4, "i32"), ("i32.store8", 1, "i32"), ("i32.store16", 2, "i32"),
          ("i64.store", 8, "i64"), ("i64.store8", 1, "i64"), ("i64.store32", 4, "i64"))
# the compare that continues a counted loop counting up, and one counting down
UP_CMPS = ("ne", "lt_u", "lt_s", "le_u", "le_s")
DOWN_CMPS = ("ne", "gt_u", "gt_s", "ge_u", "ge_s")
NEAR_TOP = (0xFFFFFFF0, 0xFFFFFFF8, 0xFFFFFFFC, 0xFFFFFFFF, 0xFFFF0000, 0x80000000,
            0x7FFFFFFC)


def _c(n: int) -> str:
    """An i32 constant (two's complement)."""
    n &= 0xFFFFFFFF
    return f"(i32.const {n - (1 << 32) if n >> 31 else n})"


# ---- the generator ----------------------------------------------------------------------------

@dataclass
class Shape:
    """One generated module."""
    wat: str
    pages: int
    exports: list[tuple[str, int]]  # exported functions and their number of i32 parameters


class Gen:
    """Writes one module. Exported functions `f<k>` take (p, n, x) and helpers `h<k>` (p, n),
    all i32, all return an i32 sum of what they read; locals are named alike everywhere."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pages = rng.choice((1, 1, 2))
        self.label = 0
        self.helpers: list[str] = []      # helper names, in definition order
        self.funcs: list[str] = []        # the functions' text
        self.exports: list[tuple[str, int]] = []
        self.table: list[str] = []
        self.cur: int | None = None       # the helper being written
        self.kinds: dict[str, str] = {}   # each helper's kind

    def fresh(self) -> int:
        self.label += 1
        return self.label

    # -- addresses and accesses

    def offset(self) -> int:
        r = self.rng
        return r.choice((0, 0, 0, 1, 2, 3, 4, 7, 8, 12, 16)) if r.random() < 0.93 else \
            r.choice((64, 255, 4096, 65535))

    def const_off(self) -> int:
        """A constant added to a base: small, negative or near 2^32."""
        r = self.rng
        if r.random() < 0.75:
            return r.choice((0, 1, 4, 8, -1, -4, -8, -16, r.randint(-64, 64)))
        return r.choice((r.choice(NEAR_TOP), PAGE - 4, PAGE * self.pages - r.randint(1, 16)))

    def load(self, addr: str) -> str:
        """An i32 expression that loads from `addr` (an i32 expression)."""
        ins, _, vt = self.rng.choice(LOADS)
        off = self.offset()
        e = f"({ins}{f' offset={off}' if off else ''} {addr})"
        return f"(i32.wrap_i64 {e})" if vt == "i64" else e

    def store(self, addr: str, value: str) -> str:
        ins, _, vt = self.rng.choice(STORES)
        off = self.offset()
        v = f"(i64.extend_i32_u {value})" if vt == "i64" else value
        return f"({ins}{f' offset={off}' if off else ''} {addr} {v})"

    def access(self, addr: str, acc: str = "$s") -> str:
        r = self.rng
        k = r.random()
        if k < 0.06:  # a fixed-point product of 32-bit values (narrow.py)
            sh = r.choice(("(i64.const 15)", "(i64.const 31)", "(i64.extend_i32_u (local.get $x))"))
            op, ext = r.choice(("shr_s", "shr_u")), r.choice("su")
            return (f"(local.set {acc} (i32.add (local.get {acc}) (i32.wrap_i64 (i64.{op} "
                    f"(i64.mul (i64.extend_i32_s {self.load(addr)}) (i64.extend_i32_{ext}"
                    f" (i32.{r.choice(('shr_u', 'shr_s', 'and'))} (local.get {acc}) "
                    f"(local.get $x)))) {sh}))))")
        if k < 0.1:  # indexed by a byte it loads (ranges.py: byte indexes up to the last one)
            idx = f"(i32.load8_u {addr})" if r.random() < 0.5 else \
                f"(i32.and {self.load(addr)} {_c(r.choice((0xFF, 0xFFF, 0x3FFF)))})"
            addr = f"(i32.add {addr} (i32.shl {idx} (i32.const {r.randint(0, 3)})))"
        if r.random() < 0.6:
            return f"(local.set {acc} (i32.add (local.get {acc}) {self.load(addr)}))"
        return self.store(addr, f"(local.get {acc})")

    def run(self, base: str, n: int) -> list[str]:
        """Straight-line accesses at several offsets of one base (segments)."""
        r = self.rng
        offs = sorted(r.sample(range(0, 40), n), reverse=r.random() < 0.3)
        out = []
        for o in offs:
            addr = base if o == 0 or r.random() < 0.5 else f"(i32.add {base} {_c(o)})"
            out.append(self.access(addr))
        return out

    # -- statements

    def stmts(self, depth: int, ivs: list[str], budget: int) -> list[str]:
        r = self.rng
        out: list[str] = []
        for _ in range(r.randint(1, budget)):
            k = r.random()
            if k < 0.35 and depth < 2 and ivs:
                out += self.counted_loop(depth, ivs)
            elif k < 0.45 and depth < 2:
                out += self.walk()
            elif k < 0.6:
                out += self.run(self.base(), r.randint(1, 5))
            elif k < 0.7:
                out += self.guarded()
            elif k < 0.85 and self.helpers:
                out += self.call()
            elif k < 0.92:
                out += self.bulk()
            else:
                out += self.run("(local.get $p)", r.randint(1, 3))
        return out

    def base(self) -> str:
        r = self.rng
        c = self.const_off()
        b = r.choice(("$p", "$p", "$p", "$q", "$q", "$x") + (("$r",) if self.cur is None else ()))
        return f"(local.get {b})" if c == 0 else f"(i32.add (local.get {b}) {_c(c)})"

    def guarded(self) -> list[str]:
        """An index the program compares first (guards.py, cmpbound.py, ranges.py)."""
        r = self.rng
        idx = r.choice(("$x", "$n", "$t"))
        sh = r.choice((0, 1, 2, 3))
        addr = f"(i32.add (local.get $p) (i32.shl (local.get {idx}) (i32.const {sh})))"
        bound = r.choice((_c(r.randint(0, 2 * PAGE)), "(local.get $n)", "(local.get $x)"))
        cmp = r.choice(("lt_u", "lt_s", "le_u", "gt_s", "ge_u"))
        body = [self.access(addr) for _ in range(r.randint(1, 3))]
        if r.random() < 0.3:
            body.append(f"(local.set {idx} (i32.add (local.get {idx}) {_c(r.randint(-3, 3))}))")
        return [f"(if (i32.{cmp} (local.get {idx}) {bound}) (then {' '.join(body)}))"]

    def walk(self) -> list[str]:
        """`while (q) q = load(q + off)`, reading the node on the way (walkfuel.py)."""
        r = self.rng
        b = self.fresh()
        nxt = r.choice((0, 4, 8, 12))
        start = r.choice(("(local.get $p)", "(local.get $x)", _c(r.choice((16, 64, 0x100)))))
        body = [self.access("(local.get $q)") for _ in range(r.randint(0, 2))]
        if r.random() < 0.5:
            body.append(f"(i32.store (i32.const {PROGRESS[0]}) (local.get $q))")
        return [f"(local.set $q {start})",
                f"(block $B{b} (loop $L{b}",
                f"  (br_if $B{b} (i32.eqz (local.get $q)))", *body,
                f"  (local.set $q (i32.load offset={nxt} (local.get $q)))",
                f"  (br $L{b})))"]

    def counted_loop(self, depth: int, ivs: list[str]) -> list[str]:
        r = self.rng
        v = ivs[0]
        b = self.fresh()
        up = r.random() < 0.6
        step = r.choice((1, 1, 1, 2, 4, 4, 8, 3, 12, 16, r.randint(1, 16)))
        cmp = r.choice(UP_CMPS if up else DOWN_CMPS)
        if r.random() < 0.08:  # the wrong direction: the counter runs away from its bound
            cmp = r.choice(DOWN_CMPS if up else UP_CMPS)
        n_expr = r.choice(("(local.get $n)", "(local.get $n)", "(local.get $x)",
                           f"(i32.add (local.get $n) {_c(r.randint(-4, 4))})",
                           _c(r.choice((3, 8, 17, 100)))))
        if depth > 0 and r.random() < 0.5:
            n_expr = f"(i32.and (local.get $n) {_c(r.choice((7, 15, 31)))})"
        if up:
            init, bound = r.choice(("(i32.const 0)", "(i32.const 0)", "(local.get $x)",
                                    _c(r.randint(1, 8)))), n_expr
        else:
            init, bound = n_expr, r.choice(("(i32.const 0)", "(i32.const 0)",
                                            _c(r.randint(1, 8)), "(local.get $x)"))
        d = step if up else -step
        # the address: counter scaled, a copy of it, or a second induction variable
        form = r.choice(("add", "shl", "mul", "iv", "copy", "const", "select"))
        pre: list[str] = []
        body: list[str] = []
        iv_step = ""
        base = r.choice(("(local.get $p)", f"(i32.add (local.get $p) {_c(self.const_off())})"))
        if form == "add":
            addr = f"(i32.add {base} (local.get {v}))"
        elif form == "shl":
            addr = f"(i32.add {base} (i32.shl (local.get {v}) (i32.const {r.randint(1, 3)})))"
        elif form == "mul":
            addr = f"(i32.add (i32.mul (local.get {v}) {_c(r.choice((3, 6, 12, 20)))}) {base})"
        elif form == "iv":
            pre.append(f"(local.set $q {base})")
            addr = "(local.get $q)"
            iv_step = f"(local.set $q (i32.add (local.get $q) {_c(r.choice((1, 2, 4, 8, -4)))}))"
        elif form == "copy":
            body.append(f"(local.set $c (local.get {v}))")
            addr = f"(i32.add {base} (i32.shl (local.get $c) (i32.const 2)))"
        elif form == "select":  # `(c ? left : right)[i]` (selectload.py)
            other = r.choice(("(local.get $q)", "(local.get $x)", base))
            addr = (f"(i32.add (select {base} {other} (i32.and (local.get {v}) "
                    f"(i32.const {r.choice((1, 2, 4))}))) (local.get {v}))")
        else:
            addr = base
        if r.random() < 0.7:
            body.append(f"(i32.store (i32.const {PROGRESS[depth]}) (local.get {v}))")
        for _ in range(r.randint(1, 3)):
            body.append(self.access(addr))
        if r.random() < 0.3:
            body += self.run(addr, r.randint(2, 4))
        if r.random() < 0.25:  # an early exit: out of the loop, a return or a trap
            cond = r.choice((f"(i32.eq (local.get {v}) (local.get $x))",
                             f"(i32.eqz {self.load(addr)})",
                             f"(i32.gt_u (local.get $s) {_c(r.randint(0, 1000))})"))
            how = r.random()
            body.append(f"(br_if $B{b} {cond})" if how < 0.7 else
                        f"(if {cond} (then (return (local.get $s))))" if how < 0.9 else
                        f"(if {cond} (then unreachable))")
        if r.random() < 0.15 and self.helpers:
            body += self.call(addr)
        if r.random() < 0.2:  # fuel charged by length, a compare-bounded index, a walk
            body += r.choice((self.bulk, self.guarded, self.walk))()
        if r.random() < 0.06:  # the counter or the bound moves on some path (not counted)
            moved = r.choice((v, "$n", "$x"))
            body.append(f"(if (i32.and (local.get $s) (i32.const 1)) (then (local.set {moved} "
                        f"(i32.add (local.get {moved}) {_c(r.choice((1, -1, 2)))}))))")
        if depth == 0 and len(ivs) > 1 and r.random() < 0.35:
            body += self.counted_loop(depth + 1, ivs[1:])
        if iv_step:
            body.append(iv_step)
        stepped = f"(i32.add (local.get {v}) {_c(d)})"
        if r.random() < 0.15 and cmp in ("ne", "gt_u") and not up and bound == "(i32.const 0)":
            test = f"(br_if $L{b} (local.tee {v} {stepped}))"   # `while (--n)`
            tail = [test]
        elif r.random() < 0.5:
            tail = [f"(br_if $L{b} (i32.{cmp} (local.tee {v} {stepped}) {bound}))"]
        else:
            tail = [f"(local.set {v} {stepped})",
                    f"(br_if $L{b} (i32.{cmp} (local.get {v}) {bound}))"]
        loop = [f"(local.set {v} {init})", *pre, f"(block $B{b} (loop $L{b}", *body, *tail,
                "))"]
        if r.random() < 0.5:  # compiled C tests a loop's first run before it
            loop = [f"(local.set {v} {init})", *pre,
                    f"(if (i32.{cmp} (local.get {v}) {bound}) (then", *loop[len(pre) + 1:],
                    "))"]
        return loop

    def call(self, addr: str | None = None) -> list[str]:
        r = self.rng
        if self.cur is None:
            h = r.choice(self.helpers)
            n = r.choice(("(local.get $n)", "(local.get $x)", _c(r.randint(0, 6))))
        else:  # a helper calls those defined before it and passes its own n on (no cycles
            if self.cur == 0:  # but through the recursive helpers, which count n down)
                return []
            h = f"h{r.randrange(self.cur)}"
            n = "(local.get $n)"
        if addr is None:
            addr = r.choice(("(local.get $p)", f"(i32.add (local.get $p) {_c(self.const_off())})",
                             "(local.get $q)"))
        out = []
        if self.kinds.get(h) == "leaf":  # every caller proves what the leaf reads
            out.append(f"(local.set $s (i32.add (local.get $s) (i32.wrap_i64 (i64.load {addr}))))")
        elif r.random() < 0.6:  # the caller reads the pointer first (paramfacts)
            out.append(self.access(addr) if r.random() < 0.5 else
                       f"(local.set $s (i32.add (local.get $s) (i32.wrap_i64 (i64.load {addr}))))")
        if r.random() < 0.7 or not self.table:
            c = f"(call ${h} {addr} {n})"
        else:  # through the table (its last slot is empty)
            c = (f"(call_indirect (type $t2) {addr} {n} "
                 f"{_c(r.randrange(len(self.table) + 1))})")
        out.append(f"(local.set $t {c})")
        out.append("(local.set $s (i32.add (local.get $s) (local.get $t)))")
        if r.random() < 0.5:  # and after (returnfacts)
            out.append(self.access(addr))
        return out

    def bulk(self) -> list[str]:
        r = self.rng
        ln = r.choice(("(i32.and (local.get $n) (i32.const 255))", _c(r.randint(0, 40)),
                       "(local.get $x)"))
        if r.random() < 0.5:
            return [f"(memory.fill {self.base()} (local.get $s) {ln})"]
        return [f"(memory.copy {self.base()} {self.base()} {ln})"]

    # -- functions

    def helper(self, k: int, count: int) -> None:
        r = self.rng
        name = f"h{k}"
        self.cur = k
        kind = self.kinds[name]
        body: list[str] = []
        c = self.const_off() if r.random() < 0.3 else r.choice((4, 8, 16, -4, -8))
        if kind == "leaf":  # within the 8 bytes a caller's i64 read proves
            for _ in range(r.randint(1, 3)):
                ins = r.choice(("i32.load", "i32.load16_u", "i32.load8_s"))
                off = r.choice((0, 4)) if ins == "i32.load" else r.randint(0, 6)
                body.append(f"(local.set $s (i32.add (local.get $s) "
                            f"({ins} offset={off} (local.get $p))))")
        elif kind == "acc":
            body += self.run("(local.get $p)", r.randint(1, 4))
        elif kind in ("rec", "mutual"):
            # n <= 31 and counted down by every call on a cycle: the recursion ends
            callee = name if kind == "rec" else f"h{r.randrange(count)}"
            body += ["(local.set $n (i32.and (local.get $n) (i32.const 31)))",
                     f"(if (i32.le_s (local.get $n) (i32.const 0)) "
                     f"(then (return {self.load('(local.get $p)')})))"]
            if r.random() < 0.7:
                body.append(self.access("(local.get $p)"))
            body.append(f"(local.set $s (i32.add (local.get $s) (call ${callee} "
                        f"(i32.add (local.get $p) {_c(c)}) "
                        f"(i32.sub (local.get $n) (i32.const 1)))))")
            if r.random() < 0.7:
                body.append(self.access("(local.get $p)"))
        elif kind == "recloop":  # recursion in a loop, a local set once (remat.py)
            body += ["(local.set $n (i32.and (local.get $n) (i32.const 7)))",
                     f"(if (i32.le_s (local.get $n) (i32.const 0)) "
                     f"(then (return {self.load('(local.get $p)')})))",
                     f"(local.set $x (i32.add (local.get $p) {_c(r.choice((4, 8, 1616)))}))",
                     "(local.set $i (i32.const 0))",
                     "(loop $Lr",
                     self.access("(i32.add (local.get $x) (i32.shl (local.get $i) "
                                 "(i32.const 2)))"),
                     f"(local.set $s (i32.add (local.get $s) (call ${name} "
                     f"(i32.add (local.get $p) {_c(c)}) "
                     f"(i32.sub (local.get $n) (i32.const 1)))))",
                     "(br_if $Lr (i32.lt_u (local.tee $i (i32.add (local.get $i) "
                     "(i32.const 1))) (i32.const 2))))"]
        elif kind == "reassign":
            body.append(self.access("(local.get $p)"))
            body.append(f"(if (i32.and (local.get $n) (i32.const 1)) (then "
                        f"(local.set $p (i32.add (local.get $p) {_c(c)}))))")
            body += self.run("(local.get $p)", r.randint(1, 3))
        else:  # grow
            body.append("(local.set $s (memory.grow (i32.and (local.get $n) (i32.const 1))))")
            body += self.run("(local.get $p)", r.randint(1, 3))
        if r.random() < 0.3:
            body += self.stmts(1, ["$i"], 2)
        exported = kind != "leaf" and r.random() < 0.2
        exp = f' (export "{name}")' if exported else ""
        self.funcs.append(
            f"(func ${name}{exp} (type $t2) (param $p i32) (param $n i32) (result i32)\n"
            f"  (local $i i32) (local $j i32) (local $q i32) (local $c i32) (local $s i32)"
            f" (local $t i32) (local $x i32)\n  " + "\n  ".join(body) + "\n  (local.get $s))")
        if exported:
            self.exports.append((name, 2))
        self.cur = None

    def function(self, k: int) -> None:
        body = self.stmts(0, ["$i", "$j"], 4)
        self.funcs.append(
            f"(func $f{k} (export \"f{k}\") (param $p i32) (param $n i32) (param $x i32)"
            f" (result i32)\n"
            f"  (local $i i32) (local $j i32) (local $q i32) (local $c i32) (local $s i32)"
            f" (local $t i32) (local $r i32)\n  (local.set $q (local.get $p))\n"
            f"  (local.set $r (i32.add (local.get $p) {_c(self.const_off())}))\n  " +
            "\n  ".join(body) +
            "\n  (local.get $s))")
        self.exports.append((f"f{k}", 3))

    def module(self) -> Shape:
        r = self.rng
        count = r.randint(1, 4)
        self.helpers = [f"h{k}" for k in range(count)]
        self.kinds = {h: r.choice(("acc", "rec", "rec", "mutual", "reassign", "grow", "leaf",
                                   "leaf", "recloop")) for h in self.helpers}
        self.table = [h for h in self.helpers if self.kinds[h] != "leaf" and r.random() < 0.3]
        for k in range(count):
            self.helper(k, count)
        for k in range(r.randint(1, 3)):
            self.function(k)
        cap = r.choice(("", "", f" {self.pages}", f" {self.pages + 1}"))
        parts = ["(module", "  (type $t2 (func (param i32 i32) (result i32)))",
                 f"  (memory {self.pages}{cap})"]
        if self.table:
            parts.append(f"  (table {len(self.table) + 1} funcref)")
            parts.append(f"  (elem (i32.const 0) func {' '.join('$' + t for t in self.table)})")
        if r.random() < 0.3:  # a helper whose address escapes through a global's ref.func
            parts.append(f"  (global $g funcref (ref.func ${r.choice(self.helpers)}))")
        parts += [f"  (data (i32.const {a}) \"{self.data()}\")"
                  for a in sorted({r.choice((0, 16, 64, 0x100, PAGE - 16)) for _ in range(2)})]
        parts += ["  " + f for f in self.funcs]
        parts.append(MEMHASH_WAT + ")")
        return Shape("\n".join(parts) + "\n", self.pages, self.exports)

    def data(self) -> str:
        """Bytes with pointers in them: small ones (a walk's next node), near the end, 0."""
        out = bytearray()
        for _ in range(4):
            v = self.rng.choice((0, 0, 16, 64, 0x100, 0x104, PAGE * self.pages - 8,
                                 self.rng.getrandbits(32)))
            out += v.to_bytes(4, "little")
        return "".join(f"\\{b:02x}" for b in out)


def make_shape(rng: random.Random) -> Shape:
    return Gen(rng).module()


def call_args(rng: random.Random, pages: int, nparams: int) -> tuple[Value, ...]:
    """Pointers near the memory's end (before and after one growth), 0 and near 2^32;
    counts small, or such that a loop's last iteration straddles the end."""
    msz = PAGE * rng.choice((pages, pages, pages + 1))
    if rng.random() < 0.3:  # well inside: the loops run their course (or to the fuel cap)
        return tuple(Value("i32", v) for v in (rng.randint(0, 0x1000), rng.randint(0, 64),
                                               rng.randint(0, 64))[:nparams])
    p = rng.choice((0, 16, rng.randint(0, 0x200), msz - rng.randint(1, 64),
                    msz - rng.randint(64, 4096), msz - rng.randint(64, 4096),
                    msz - rng.randint(0, 8) * 4, msz + rng.randint(-4, 4),
                    rng.choice(NEAR_TOP) + rng.randint(0, 15), rng.getrandbits(32)))
    n = rng.choice((0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 100, 1000, rng.randint(0, 300),
                    0xFFFFFFFF, 0x80000000, rng.getrandbits(32)))
    if rng.random() < 0.3:  # a count whose last step lands at the end, give or take
        n = max(0, (msz - (p % msz)) // rng.choice((1, 2, 4, 8)) + rng.randint(-2, 2))
    x = rng.choice((0, 1, 4, 8, n, rng.randint(0, 64), msz - rng.randint(1, 8), 0xFFFFFFFF,
                    rng.getrandbits(32)))
    vals = (p, n, x)[:nparams]
    return tuple(Value("i32", v & 0xFFFFFFFF) for v in vals)


def proofs_of(wasm: bytes) -> Counter[str]:
    """How often each proof fired in the module's C (fuel and bounds checks on)."""
    from wasmote.aot.translate import translate
    from wasmote.wasm.reader import read_module
    src = translate(read_module(wasm)).source
    return Counter({k: len(rx.findall(src)) for k, rx in _MARK_RES.items()})


def assemble(wat: str, work: Path, name: str) -> Path:
    src = work / f"{name}.wat"
    src.write_text(wat)
    out = work / f"{name}.wasm"
    proc = subprocess.run(["wat2wasm", str(src), "-o", str(out)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise CampaignError(f"generated module does not assemble: {proc.stderr[:2000]}")
    return out


# ---- running ------------------------------------------------------------------------------

# What the sliced engines hash at every suspension (the driver's `watch`): the progress
# words, the first bytes and the first page's last ones, where the calls' pointers point.
WATCH = ((PROGRESS[0], 8), (0, 64), (PAGE - 64, 64))

# Fuel caps: mostly enough for any bounded loop here, sometimes small enough to cut a call
# in the middle of its loops.
BIG_CAP = 400_000


def pick_cap(rng: random.Random) -> int:
    return BIG_CAP if rng.random() < 0.6 else rng.choice((rng.randint(1, 200),
                                                          rng.randint(200, 20_000)))


@dataclass
class ShapesResult:
    engines: list[str]
    modules: int = 0
    calls: int = 0
    outoffuel: int = 0                       # calls the cap cut (on every engine alike)
    exhausted: int = 0
    traps: dict[str, int] = field(default_factory=dict)    # per engine
    trap_kinds: dict[str, int] = field(default_factory=dict)  # the reference's, by kind
    proofs: dict[str, int] = field(default_factory=dict)   # marks in the C, in total
    modules_with: dict[str, int] = field(default_factory=dict)  # modules holding each mark
    refused: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    engine_reports: list[str] = field(default_factory=list)
    resumes: int = 0
    nofuel_calls: int = 0                    # calls the engine without fuel joined
    hashed_cuts: int = 0                     # suspensions whose memory the trails compared
    aot_native: int | None = None           # modules the AOT engine ran as native code
    seconds: float = 0.0


def _set_cap(e: Engine, cap: int, sliced_now: bool) -> None:
    """Whole calls under `cap`, or (sliced engines, sliced_now) cut into SLICES."""
    if not isinstance(e, DriverEngine):
        return
    if e.sliced and sliced_now:
        e.proc.command(f"fuel {SLICES[0]}")
        e.proc.command("slices " + " ".join(map(str, SLICES[1:] + SLICES[:1])))
    else:
        e.proc.command("slices")
        e.proc.command(f"fuel {cap}")


def _outcome(e: Engine, call: Call) -> Outcome:
    """As differential.py's, but a trap keeps its whole message (the engines here are all
    ours, and the AOT code must say what the interpreter says)."""
    if not isinstance(e, DriverEngine):
        return e.call(call)
    args = " ".join(v.wire() for v in call.args)
    a = Answer.parse(e.proc.command(f"invoke $m {escape_name(call.name)} {args}".rstrip()))
    if a.kind == "trap":
        return "trap", a.message
    if a.kind == "outoffuel":
        return "outoffuel", ""
    return _answer(a)


def _answer(a: Answer) -> Outcome:
    if a.kind == "ok":
        return "ok", [nan_blind(v.type, v.bits) for v in a.values]
    return a.kind, a.raw


def run_shape(engines: Sequence[Engine], shape: Shape, path: Path, rng: random.Random,
              res: ShapesResult, keep: Path | None) -> None:
    if load_everywhere(engines, path, res.refused) is None:
        return
    res.modules += 1
    for e in engines:  # where the sliced engines suspend: the memory they hash there
        if isinstance(e, DriverEngine) and e.sliced:
            e.proc.command("watch " + " ".join(f"{a} {n}" for a, n in WATCH))
    calls: list[Call] = []
    for _ in range(rng.randint(8, 20)):
        name, np_ = rng.choice(shape.exports)
        calls.append(Call(name, "i" * np_, "i", call_args(rng, shape.pages, np_)))
    hash_call = Call(MEMHASH, "", "I", ())
    live = list(engines)
    for call in calls:
        cap = pick_cap(rng)
        ref = engines[0]
        _set_cap(ref, cap, False)
        first = _outcome(ref, call)
        cut = first[0] == "outoffuel"
        if cut:  # code without fuel runs on where the others stopped: compared no further
            live = [e for e in live if e.name != NOFUEL]
        engines = live
        outs = [first]
        for e in engines[1:]:
            _set_cap(e, cap, not cut)
            outs.append(_outcome(e, call))
        # the memory after the call (or at the cut), unmetered
        for e in engines:
            _set_cap(e, 0, False)
        hashes = [e.call(hash_call) for e in engines]
        trails = [e.proc.command("trail") for e in engines
                  if isinstance(e, DriverEngine) and e.sliced]
        if any(o[0] == "exhausted" for o in outs):
            res.exhausted += 1
            return
        for e, o in zip(engines, outs, strict=True):
            if o[0] == "trap":
                res.traps[e.name] = res.traps.get(e.name, 0) + 1
        if first[0] == "trap":
            kind = trap_kind(str(first[1]))
            res.trap_kinds[kind] = res.trap_kinds.get(kind, 0) + 1
        res.outoffuel += cut
        if trails and trails[0].startswith("ok "):
            res.hashed_cuts += int(trails[0].split()[2])
        if any(o != outs[0] for o in outs[1:]) or any(h != hashes[0] for h in hashes[1:]) \
                or any(t != trails[0] for t in trails[1:]):
            res.mismatches.append(
                f"{path.name} {call.name}{tuple(a.wire() for a in call.args)} fuel {cap}: " +
                ", ".join(f"{e.name} {o} mem {h[1]}"
                          for e, o, h in zip(engines, outs, hashes, strict=True)) +
                f"; trails at the suspensions {trails}")
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / path.with_suffix(".wat").name).write_text(shape.wat)
                with (keep / "calls.txt").open("a") as f:
                    f.write(res.mismatches[-1] + "\n")
            return
        res.calls += 1
        res.nofuel_calls += any(e.name == NOFUEL for e in engines)


NOFUEL = "aot-nofuel"


def engines_for(names: Sequence[str]) -> list[Engine]:
    """differential.py's engines, and `aot-nofuel`: the AOT code compiled without fuel (its
    bounds proofs meet other loop copies there), compared on each module until the first
    call the fuel cap cuts on the others."""
    out: list[Engine] = []
    for name in names:
        if name != NOFUEL:
            out += make_engines([name])
            continue
        out.append(aot_engine(NOFUEL, fuel=False))
    return out


def campaign(modules: int, engine_names: Sequence[str], seed: int = 1,
             keep: Path | None = CAMPAIGN_DIR / "aot_shapes",
             minutes: float | None = None) -> ShapesResult:
    if shutil.which("wat2wasm") is None:
        raise CampaignError("wat2wasm (wabt) is not installed")
    if engine_names and engine_names[0] == NOFUEL:
        raise CampaignError(f"{NOFUEL} cannot be the reference")
    engines = engines_for(engine_names)
    res = ShapesResult([e.name for e in engines])
    rng = random.Random(seed)
    watch = Stopwatch()
    proofs: Counter[str] = Counter()
    holding: Counter[str] = Counter()
    try:
        with tempfile.TemporaryDirectory(prefix="wasmote-shapes-") as tmp:
            for i in range(modules):
                if minutes is not None and watch.seconds() > minutes * 60:
                    break
                shape = make_shape(rng)
                path = assemble(shape.wat, Path(tmp), f"s{seed}_{i}")
                got = proofs_of(path.read_bytes())
                proofs.update(got)
                holding.update(k for k, v in got.items() if v)
                run_shape(engines, shape, path, rng, res, keep)
                if (i + 1) % 250 == 0:
                    print(f"{i + 1}/{modules} modules, {res.calls} calls, "
                          f"{len(res.mismatches)} mismatches", file=sys.stderr, flush=True)
    finally:
        for e in engines:
            res.resumes += getattr(e, "resumes", 0)
            if isinstance(e, DriverEngine) and e.name == "aot":
                res.aot_native = e.native_modules()
            rep = e.close()
            if rep:
                res.engine_reports.append(f"{e.name}: {rep}")
    res.proofs = dict(sorted(proofs.items()))
    res.modules_with = dict(sorted(holding.items()))
    res.seconds = round(watch.seconds(), 1)
    return res


def report(r: ShapesResult) -> str:
    t = Table(["engines", "modules", "calls compared", "cut by fuel cap", "stopped at exhaustion",
               "refused", "mismatches", "AOT native", "resumes", "hashed cuts",
               f"calls on {NOFUEL}", "seconds"])
    t.add(" ".join(r.engines), r.modules, r.calls, r.outoffuel, r.exhausted, len(r.refused),
          len(r.mismatches), "-" if r.aot_native is None else r.aot_native, r.resumes,
          r.hashed_cuts, r.nofuel_calls, r.seconds)
    lines = [t.render(), "traps per engine: " +
             ", ".join(f"{k} {v}" for k, v in sorted(r.traps.items())),
             "reference traps by kind: " +
             ", ".join(f"{k} {v}" for k, v in sorted(r.trap_kinds.items()))]
    p = Table(["proof (mark in the C)", "marks", "modules holding it"])
    for k in PROOF_MARKS:
        p.add(k, r.proofs.get(k, 0), r.modules_with.get(k, 0))
    lines.append(p.render())
    lines += [f"  {x}" for x in (r.refused + r.mismatches + r.engine_reports)[:30]]
    return "\n".join(lines)


def default_engines() -> list[str]:
    return ["interp", "sliced"] + ([] if aot_available() else ["aot", "aot-sliced", NOFUEL])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.aot_shapes",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, help="stop after this long")
    ap.add_argument("--engine", action="append",
                    choices=("interp", "sliced", "aot", "aot-sliced", NOFUEL, "pd",
                             "pd-sliced"),
                    help="repeatable; the first is the reference (default: interp, sliced,"
                         f" aot, aot-sliced, {NOFUEL})")
    ap.add_argument("--print", action="store_true", help="print the seed's first module")
    args = ap.parse_args(argv)
    if args.print:
        print(make_shape(random.Random(args.seed)).wat)
        return 0
    return conclude("aot_shapes", lambda: campaign(args.modules, args.engine or default_engines(),
                                                   args.seed, minutes=args.minutes), report)


if __name__ == "__main__":
    sys.exit(main())
