"""Robustness: damaged modules give a WasmError, never another exception.

Hypothesis mutates real spec-suite modules (byte flips, truncation, insertion); reading
must either succeed or raise MalformedError, validating either succeed or raise
ValidationError, and anything that validates must re-encode and read back equal.
Whether a mutant is accepted must also agree with wasmtime (the reference validator).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SPEC_JSON_DIR
from tests.wasm.wasmtime_oracle import wasmtime_accepts
from wasmote.wasm.errors import MalformedError, ValidationError
from wasmote.wasm.inspect import summarize
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module
from wasmote.wasm.writer import write_module

# A spread of feature areas: control flow, bulk memory, reference types, elements, globals.
SEEDS = ["br_table.0.wasm", "bulk.0.wasm", "ref_func.0.wasm", "elem.0.wasm", "global.0.wasm",
         "memory_copy.0.wasm", "table_init.0.wasm", "select.0.wasm", "call_indirect.0.wasm",
         "binary.0.wasm", "data.0.wasm", "if.0.wasm"]


def _seed_bytes() -> list[bytes]:
    out = []
    for name in SEEDS:
        path = SPEC_JSON_DIR / name.split(".")[0] / name
        if path.is_file():
            out.append(path.read_bytes())
    return out


SEED_BYTES = _seed_bytes()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[pos:]
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete" and data:
            del data[pos]
    return bytes(data)


def _check(data: bytes) -> bool:
    """True if `data` reads and validates."""
    try:
        mod = read_module(data)
    except MalformedError:
        return False
    summarize(mod, len(data))  # inspect must cope with invalid modules too
    try:
        validate_module(mod)
    except ValidationError:
        return False
    assert read_module(write_module(mod)) == mod
    return True


@pytest.mark.skipif(not SEED_BYTES, reason="spec suite not found at ../shared/spec-tests")
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(mutated())
def test_mutated_modules_fail_cleanly(data: bytes) -> None:
    assert _check(data) == wasmtime_accepts(data), data.hex()


@pytest.mark.skipif(not SEED_BYTES, reason="spec suite not found at ../shared/spec-tests")
def test_every_truncation_fails_cleanly() -> None:
    for seed in SEED_BYTES:
        # Cutting exactly between sections leaves a well-formed (shorter) module.
        boundaries = {8} | {s.offset for s in read_module(seed).sections}
        for n in range(len(seed)):
            if n in boundaries:
                _check(seed[:n])
                continue
            with pytest.raises(MalformedError):
                read_module(seed[:n])
