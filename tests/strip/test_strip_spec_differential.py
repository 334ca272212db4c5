"""Differential test on the spec suite: every module wasmtime instantiates (without imports,
or with the suite's `spectest` imports) must, once stripped (with gc), export the same things,
give the same results or traps for every exported function without parameters, and leave
the same exported state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import wasmtime

from tests.conftest import SPEC_JSON_DIR
from tests.strip.strip_observe import compare, make_engine, observe, spectest_instantiate
from wasmote.wasm.errors import WasmError
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import StripOptions, strip_bytes

SPEC_FILES = sorted(SPEC_JSON_DIR.glob("*/*.json")) if SPEC_JSON_DIR.is_dir() else []
COUNTS: dict[str, int] = {}

_engine: list[wasmtime.Engine] = []


def _shared_engine() -> wasmtime.Engine:
    if not _engine:
        _engine.append(make_engine())
    return _engine[0]


def _count(what: str) -> None:
    COUNTS[what] = COUNTS.get(what, 0) + 1


def _modules(json_path: Path) -> list[Path]:
    """Every binary module of the file, including those of assert_unlinkable and
    assert_uninstantiable (those must strip and re-validate too)."""
    commands = json.loads(json_path.read_text())["commands"]
    return [json_path.parent / c["filename"] for c in commands
            if c["type"] in ("module", "assert_unlinkable", "assert_uninstantiable")
            and c.get("filename", "").endswith(".wasm")]


@pytest.mark.parametrize("json_path", SPEC_FILES, ids=lambda p: p.stem)
def test_stripped_spec_module_behaves_the_same(json_path: Path, spec_json_dir: Path) -> None:
    engine = _shared_engine()
    for wasm in _modules(json_path):
        data = wasm.read_bytes()
        try:
            read_module(data)
        except WasmError:
            _count("not read by our reader (conformance test's business)")
            continue
        # strip_bytes validates its output: every module must strip, run or not.
        stripped, report = strip_bytes(data, StripOptions(gc=True))
        assert len(stripped) <= len(data), wasm.name
        assert strip_bytes(stripped)[0] == stripped, f"{wasm.name}: strip is not idempotent"
        no_gc, _ = strip_bytes(data, StripOptions(gc=False))
        _count("stripped and re-validated (gc and no-gc)")
        try:
            observe(engine, data, spectest_instantiate)
        except wasmtime.WasmtimeError:
            # Imports from other test modules ("register"), or wasmtime rejects it.
            _count("not run: cannot be instantiated with spectest imports alone")
            continue
        a, b = compare(engine, data, stripped, spectest_instantiate)
        assert a == b, f"{wasm.name}: {report.summary()}"
        assert compare(engine, data, no_gc, spectest_instantiate)[1] == a, wasm.name
        _count("run and compared")
        COUNTS["calls compared"] = COUNTS.get("calls compared", 0) + len(a.calls)
        if read_module(data).imports:
            _count("run and compared, with spectest imports")
        if report.removed_imports:
            _count("run and compared, unused imports dropped")
        if report.removed_funcs or report.removed_globals or report.removed_types:
            _count("run and compared, gc removed something")


def test_spec_differential_counts(spec_json_dir: Path) -> None:
    """Runs last in this file: prints what the differential run covered."""
    if not COUNTS:
        pytest.skip("run together with the parametrized differential test to get counts")
    print("\nstrip differential over the spec suite:")
    for k, v in sorted(COUNTS.items()):
        print(f"  {k}: {v}")
    assert COUNTS.get("run and compared", 0) > 500
