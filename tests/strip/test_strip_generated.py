"""Differential property test on generated modules: stripping (with and without gc) keeps
the exports and every observable result under wasmtime."""

from __future__ import annotations

import wasmtime
from hypothesis import HealthCheck, given, settings

from tests.strip.strip_gen import assemble, env_instantiate, wat_modules
from tests.strip.strip_observe import compare, make_engine
from wasmote.wasm.strip import StripOptions, strip_bytes

ENGINE: wasmtime.Engine = make_engine()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wat_modules())
def test_generated_module_behaves_the_same_after_strip(wat: str) -> None:
    data = assemble(wat)
    for gc in (True, False):
        stripped, report = strip_bytes(data, StripOptions(gc=gc))
        assert len(stripped) <= len(data)
        a, b = compare(ENGINE, data, stripped, env_instantiate)
        assert a == b, f"gc={gc}: {report.summary()}\n{wat}"
        if gc:
            assert strip_bytes(stripped)[0] == stripped, f"not idempotent:\n{wat}"
