"""stackcheck.py: a function that calls only leaves checks no stack at its entry, and the
header's frame then holds the deepest chain of frames below the last check (the glue, that
function, a leaf). That recursion through such a function still traps "call stack exhausted"
and computes what the interpreter does is tests/aot/c/aot_unit.c's "exhaustion" case
(tests/aot/wat/stackcheck.wat)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from wasmote.aot import stackcheck
from wasmote.aot.compile import compile_wasm
from wasmote.aot.link import STACK_SLACK
from wasmote.aot.targets import get_target
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

WAT = Path(__file__).resolve().parent / "wat" / "stackcheck.wat"
MIX, PAIR = 0, 1  # the leaf and the function that calls only it


def _wasm(tmp: Path, wat_text: str | None = None) -> bytes:
    src = WAT
    if wat_text is not None:
        src = tmp / "inline.wat"
        src.write_text(wat_text)
    out = tmp / "m.wasm"
    subprocess.run(["wat2wasm", str(src), "-o", str(out)], check=True)
    return out.read_bytes()


def _fn(source: str, k: int) -> str:
    """The C body of function k."""
    return next(f for f in source.split("\nstatic ")
                if re.match(rf"[\w ]+ wf{k}\(", f) and ") {" in f)


def test_only_a_function_that_calls_only_leaves_skips_its_check(tmp_path: Path) -> None:
    mod = read_module(_wasm(tmp_path))
    assert stackcheck.leaf_callers(mod) == {PAIR: {MIX}}
    src = translate(mod).source
    checks = ["STACK_CHECK" in _fn(src, k) for k in range(len(mod.funcs))]
    # mix (a leaf), pair (calls mix only), deep (recursive), indirect, twice (calls pair)
    assert checks == [False, False, True, True, True]
    host = read_module(_wasm(tmp_path, """(module (import "env" "tick" (func $t))
        (func $leaf) (func (call $t) (call $leaf)) (func (call $leaf)))"""))
    assert stackcheck.leaf_callers(host) == {2: {0}}  # defined 2; 1 calls the import


def test_frame_bound_sums_the_unchecked_chain() -> None:
    frames = {"wf0": 40, "wf0_q": 8, "wf1.constprop.0": 24, "wf1.part.0": 8, "wf2": 64,
              "wf3": 4, "wm_e0": 16, "wm_d1": 12, "wm_refuel": 8}
    assert stackcheck.frame_bound(frames, {}) == 64
    # glue + wf1 (its clone and part) + its largest leaf (wf0 and its copy)
    assert stackcheck.frame_bound(frames, {1: frozenset({0, 3})}) == 16 + 24 + 8 + 40 + 8
    assert stackcheck.frame_bound(frames, {3: frozenset({5})}) == 64  # a small chain
    # inlined everywhere (no wf7): perhaps into a dispatcher, so the glue and its leaf
    assert stackcheck.frame_bound(frames, {7: frozenset({0})}) == 16 + 40 + 8
    assert stackcheck.frame_bound(frames, {7: frozenset({2})}) == 16 + 64


@pytest.mark.parametrize("target", ["cortex-m4", "rv32imac"])
def test_header_frame_holds_glue_caller_and_leaf(tmp_path: Path, target: str) -> None:
    """From the frames GCC measured for the image itself (-fstack-usage)."""
    keep = tmp_path / "keep"
    blob = compile_wasm(_wasm(tmp_path), get_target(target), keep_dir=keep,
                        use_cache=False).blob
    frames: dict[str, int] = {}
    for line in (keep / "module.su").read_text().splitlines():
        name, size = line.split("\t")[:2]
        frames[name.rsplit(":", 1)[-1]] = int(size)
    assert frames.get(f"wf{PAIR}", 0) > 0, "the caller of leaves was inlined: no test"
    glue = max(n for name, n in frames.items() if name.startswith(("wm_e", "wm_d")))
    leaf = sum(n for name, n in frames.items() if name.split(".")[0] in (f"wf{MIX}",
                                                                       f"wf{MIX}_q"))
    assert blob.frame - STACK_SLACK >= glue + frames[f"wf{PAIR}"] + leaf
