"""The host refuses a module with more imports or exports than the device's loader takes
(WM_MAX_IMPORTS / WM_MAX_EXPORTS, compared in tests/test_shared_constants.py) before
anything is sent: `wasmote push` and `wasmote build` validate with wasm/validator.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench.install_worst import HEADER, _section, _vec, exports, imports
from tests.cli_invoke import assert_one_error_line, run_cli
from wasmote.wasm.errors import ValidationError
from wasmote.wasm.leb128 import encode_unsigned as uleb
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import MAX_EXPORTS, MAX_IMPORTS, MAX_TYPE_VALUES, validate_module


def _section_at(wasm: bytes, sid: int) -> int:
    mod = read_module(wasm)
    return next(s.offset for s in mod.sections if s.kind == {2: "import", 7: "export"}[sid])


@pytest.mark.parametrize(("make", "cap", "sid", "what"), [
    (exports, MAX_EXPORTS, 7, "exports"), (imports, MAX_IMPORTS, 2, "imports")])
def test_one_past_the_cap_is_refused_at_its_section(make: Callable[[int], bytes], cap: int,
                                                    sid: int, what: str) -> None:
    validate_module(read_module(make(cap)))  # the cap itself is valid
    wasm = make(cap + 1)
    with pytest.raises(ValidationError) as e:
        validate_module(read_module(wasm))
    assert e.value.message == f"too many {what}: {cap + 1} (the device takes at most {cap})"
    assert e.value.offset == _section_at(wasm, sid)


def test_push_refuses_it_before_connecting(tmp_path: Path) -> None:
    f = tmp_path / "many.wasm"
    f.write_bytes(exports(MAX_EXPORTS + 1))
    # a port nothing listens on: a push that got past the check would fail to connect
    r = run_cli("push", str(f), "--port", "tcp://127.0.0.1:9")
    assert_one_error_line(r, f"too many exports: {MAX_EXPORTS + 1}")


@pytest.mark.parametrize("what", ["parameters", "results"])
def test_a_type_one_value_too_wide_is_refused(what: str) -> None:
    def module(n: int) -> bytes:
        vals = uleb(n) + b"\x7f" * n
        t = b"\x60" + (vals + b"\x00" if what == "parameters" else b"\x00" + vals)
        return HEADER + _section(1, _vec([t]))
    validate_module(read_module(module(MAX_TYPE_VALUES)))
    with pytest.raises(ValidationError) as e:
        validate_module(read_module(module(MAX_TYPE_VALUES + 1)))
    assert e.value.message == (f"too many {what} in type 0: {MAX_TYPE_VALUES + 1} (the device "
                               f"takes at most {MAX_TYPE_VALUES})")
