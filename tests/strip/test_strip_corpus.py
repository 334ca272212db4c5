"""Strip on real modules: the benchmark corpus built from C with zig cc."""

from __future__ import annotations

import pytest

from bench.corpus_build import PROGRAMS, VARIANTS, CorpusModule, build
from tests.strip.strip_observe import compare, make_engine
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import StripOptions, strip_bytes

ENGINE = make_engine()


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label.replace(" ", ""))
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_corpus_module_behaves_the_same_after_strip(program, variant) -> None:
    mod: CorpusModule = build(program, variant)
    data = mod.path.read_bytes()
    for gc in (False, True):
        out, report = strip_bytes(data, StripOptions(gc=gc))
        assert read_module(out).customs == []
        a, b = compare(ENGINE, data, out)
        assert a == b, f"{mod.label} gc={gc}: {report.summary()}"
        assert ("selftest", a.calls[-1][1]) in b.calls


def test_gc_removes_the_dead_library_code() -> None:
    """mathlib is linked with --no-gc-sections: only a whole-module gc finds its dead code."""
    mathlib = next(p for p in PROGRAMS if p.name == "mathlib")
    data = build(mathlib, VARIANTS[0]).path.read_bytes()
    out, report = strip_bytes(data)
    assert report.removed_funcs >= 10
    assert len(out) < 0.6 * len(strip_bytes(data, StripOptions(gc=False))[0])
