"""Differential testing of the interpreter against wasmtime, at the size the runtime issue
asked for: 150 random valid modules from binaryen's translate-to-fuzz, every export called
on our interpreter (release), the same built with ASan+UBSan, the same suspended and resumed
in slices of 1-97 units of fuel, and wasmtime; results, traps and final memory must agree and the
sanitizers stay silent. The machinery is the differential campaign's
(tests/campaigns/differential.py, docs/reliability.md), which also runs the AOT engines."""

from __future__ import annotations

import shutil

import pytest

from tests.campaigns import differential as d

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("wasm-opt", "wasm2wat", "wat2wasm")),
    reason="binaryen and wabt make the modules (scripts/bootstrap.sh installs them)")
pytest.importorskip("wasmtime", reason="wasmtime (PyPI) is in the dev extras")


def test_random_modules_agree_with_wasmtime_sanitized_and_sliced() -> None:
    r = d.campaign(150, ["interp", "asan", "sliced", "wasmtime"], seed=4242)
    assert r.refused == [] and r.mismatches == [] and r.engine_reports == [], \
        "\n".join(r.refused + r.mismatches + r.engine_reports)
    assert r.modules_compared >= 100 and r.calls_compared > 300 and r.memories_compared > 50
    assert r.resumes > 20  # the fuel slices really did cut runs into pieces
