"""Differential fuzzing against wasmtime: random *valid* modules from binaryen's
translate-to-fuzz (wasm-opt -ttf, 2.0 features without SIMD/reference types), every exported
function called (with edge-case or random arguments) on our runtime and on wasmtime; results,
traps and memory hashes must agree.
The same calls also run on the ASan+UBSan build and, with a fuel budget of a few units,
suspended and resumed until they finish: both must answer exactly like the plain run.

binaryen's modules bound their loops with a "hang limit" global and import
fuzzing-support.log-*; the imports are renamed to spectest.print_* (same signatures, no
effect) so that both engines link them. Where the spec leaves a choice the comparison is
blind to it: NaN sign/payload, and the depth at which the call stack runs out (once either
engine exhausts, the rest of that module is not compared).
"""

from __future__ import annotations

import math
import random
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wasmote.runtime.driver import Answer, DriverProcess, escape_name, list_exports
from wasmote.runtime.values import Value

wasmtime = pytest.importorskip("wasmtime", reason="wasmtime (PyPI) is in the dev extras")

FEATURES = ("--mvp-features", "--enable-sign-ext", "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int", "--enable-bulk-memory",
            "--enable-multivalue")
RENAMES = {"log-i32": "print_i32", "log-i64": "print_i64", "log-f32": "print_f32",
           "log-f64": "print_f64"}
MODULES = 150
FUEL_SLICE = 1  # the smallest budget: calls are suspended and resumed as often as possible
TYPES = {"i": "i32", "I": "i64", "f": "f32", "F": "f64", "r": "funcref", "e": "externref"}


def _make_module(rng: random.Random, work: Path, i: int) -> Path | None:
    seed = work / f"seed{i}.bin"
    seed.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(500, 6000))))
    raw = work / f"raw{i}.wasm"
    subprocess.run(["wasm-opt", "-ttf", str(seed), *FEATURES, "-o", str(raw)],
                   check=True, capture_output=True)
    text = subprocess.run(["wasm2wat", str(raw)], check=True, capture_output=True,
                          text=True).stdout
    text = re.sub(r'\(import "fuzzing-support" "(log-[if](?:32|64))"',
                  lambda m: f'(import "spectest" "{RENAMES[m.group(1)]}"', text)
    if "fuzzing-support" in text:  # an import we cannot provide: skip this one
        return None
    (work / f"m{i}.wat").write_text(text)
    out = work / f"m{i}.wasm"
    subprocess.run(["wat2wasm", str(work / f"m{i}.wat"), "-o", str(out)], check=True,
                   capture_output=True)
    return out


def _nan_blind(typ: str, bits: int | None) -> tuple[str, int | None]:
    if typ == "f32" and bits is not None and bits & 0x7F800000 == 0x7F800000 and \
            bits & 0x7FFFFF:
        return typ, -1
    if typ == "f64" and bits is not None and (bits >> 52) & 0x7FF == 0x7FF and \
            bits & ((1 << 52) - 1):
        return typ, -1
    return typ, bits


def _wt_bits(typ: str, v: Any) -> int | None:
    if typ == "i32":
        return int(v) & 0xFFFFFFFF
    if typ == "i64":
        return int(v) & 0xFFFFFFFFFFFFFFFF
    if typ == "f32":
        return int(struct.unpack("<I", struct.pack("<f", v))[0])
    if typ == "f64":
        return int(struct.unpack("<Q", struct.pack("<d", v))[0])
    return None if v is None else 1


@dataclass(frozen=True)
class Call:
    name: str
    params: str  # wm_host_func letters
    results: str
    args: tuple[Value, ...]


_INTS = (0, 1, 2, 7, 31, 32, 63, 64, 255, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
         0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF)
_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 1.5, -2.5, 3.0e9, -3.0e9, 1e-40, 65536.0, 2.0**31,
           2.0**63, float("inf"), float("-inf"), 1e300)


def _random_arg(rng: random.Random, letter: str) -> Value:
    """Interesting values (edges of every conversion and shift) or random bits; no NaN
    arguments, whose payload a Python float may not carry into wasmtime unchanged."""
    if letter in "iI":
        width = 32 if letter == "i" else 64
        n = rng.choice(_INTS) if rng.random() < 0.7 else rng.getrandbits(width)
        return Value(TYPES[letter], n & ((1 << width) - 1))
    if letter in "fF":
        x = rng.choice(_FLOATS) if rng.random() < 0.7 else rng.uniform(-1e6, 1e6)
        if letter == "f":
            if math.isfinite(x) and abs(x) > 3e38:  # keep finite values in f32's range
                x = math.copysign(3e38, x)
            return Value("f32", int(struct.unpack("<I", struct.pack("<f", x))[0]))
        return Value("f64", int(struct.unpack("<Q", struct.pack("<d", x))[0]))
    return Value(TYPES[letter], None)


def _wasmtime_arg(v: Value) -> Any:
    if v.bits is None:
        return None
    if v.type == "f32":
        return struct.unpack("<f", struct.pack("<I", v.bits))[0]
    if v.type == "f64":
        return struct.unpack("<d", struct.pack("<Q", v.bits))[0]
    width = 32 if v.type == "i32" else 64
    return v.bits - (1 << width) if v.bits >> (width - 1) else v.bits


def _wasmtime_run(path: Path, calls: list[Call]) -> list[tuple[str, Any]]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    for name, vt in (("print_i32", wasmtime.ValType.i32()), ("print_i64", wasmtime.ValType.i64()),
                     ("print_f32", wasmtime.ValType.f32()), ("print_f64", wasmtime.ValType.f64())):
        linker.define_func("spectest", name, wasmtime.FuncType([vt], []), lambda _x: None)
    inst = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path)))
    exports = inst.exports(store)
    out: list[tuple[str, Any]] = []
    for call in calls:
        func = exports[call.name]
        assert isinstance(func, wasmtime.Func)
        try:
            r = func(store, *(_wasmtime_arg(a) for a in call.args))
        except wasmtime.Trap as e:
            msg = str(e)
            out.append(("exhausted" if "call stack exhausted" in msg else "trap", msg))
            continue
        vals = list(r) if isinstance(r, (list, tuple)) else ([] if r is None else [r])
        out.append(("ok", [_nan_blind(TYPES[t], _wt_bits(TYPES[t], v))
                           for t, v in zip(call.results, vals, strict=True)]))
    return out


def _load(d: DriverProcess, path: Path) -> list[tuple[str, str, str]]:
    a = Answer.parse(d.command(f"module $m {d.module_source(path)}"))
    assert a.kind == "ok", f"{path.name}: a valid module was refused: {a.raw}"
    return [(e.name.decode(), e.params, e.results) for e in list_exports(d) if e.kind == "func"]


def _ours_run(d: DriverProcess, calls: list[Call], slice_: int = 0) -> tuple[
        list[tuple[str, Any]], int]:
    """Answers of the calls on the loaded module; with `slice_`, each call that runs out of
    fuel is resumed with that much more until it ends. Returns (answers, resumes)."""
    out: list[tuple[str, Any]] = []
    resumes = 0
    for call in calls:
        args = " ".join(v.wire() for v in call.args)
        a = Answer.parse(d.command(f"invoke $m {escape_name(call.name)} {args}".rstrip()))
        while slice_ and a.kind == "outoffuel":
            a = Answer.parse(d.command(f"resume $m {slice_}"))
            resumes += 1
        if a.kind == "ok":
            out.append(("ok", [_nan_blind(v.type, v.bits) for v in a.values]))
        else:
            out.append((a.kind, a.message or a.raw))
    return out, resumes


def _trap_kind(msg: str) -> str:
    # wasmtime says "undefined element: out of bounds table access": test that one first.
    for k in ("undefined element", "uninitialized element", "divide by zero",
              "integer overflow", "out of bounds memory", "out of bounds table", "unreachable",
              "invalid conversion", "indirect call"):
        if k in msg:
            return k
    return msg


def test_random_modules_agree_with_wasmtime(tmp_path, spec_driver_release, spec_driver_asan):
    """...and the ASan+UBSan build runs the same modules without a report, answering alike."""
    for tool in ("wasm-opt", "wasm2wat", "wat2wasm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (binaryen/wabt) is not installed")
    rng = random.Random(4242)
    compared = 0
    mismatches: list[str] = []
    resumes = 0
    with DriverProcess(spec_driver_release, timeout=120) as d, \
            DriverProcess(spec_driver_asan, timeout=300) as sanitized, \
            DriverProcess(spec_driver_release, timeout=120) as metered:
        metered.command(f"fuel {FUEL_SLICE}")
        for i in range(MODULES):
            path = _make_module(rng, tmp_path, i)
            if path is None:
                continue
            for drv in (d, sanitized, metered):
                drv.command("reset")
            funcs = _load(d, path)
            assert _load(sanitized, path) == _load(metered, path) == funcs
            calls = [Call(name, params, results,
                          tuple(_random_arg(rng, p) for p in params))
                     for name, params, results in funcs]
            ours = _ours_run(d, calls)[0]
            assert _ours_run(sanitized, calls)[0] == ours, f"{path.name}: asan differs"
            sliced, n = _ours_run(metered, calls, FUEL_SLICE)
            assert sliced == ours, f"{path.name}: suspended and resumed calls answer otherwise"
            resumes += n
            theirs = _wasmtime_run(path, calls)
            for call, o, t in zip(calls, ours, theirs, strict=True):
                if "exhausted" in (o[0], t[0]):
                    break  # the spec leaves the depth open; states may differ from here on
                same = o == t if o[0] == "ok" else (o[0] == t[0] == "trap"
                                                    and _trap_kind(o[1]) == _trap_kind(t[1]))
                if not same:
                    mismatches.append(f"{path.name} {call.name}{call.args}: ours {o}, "
                                      f"wasmtime {t}")
                compared += 1
        rc = sanitized.close()
        err = sanitized.stderr_text()
    assert rc == 0 and "Sanitizer" not in err and "runtime error" not in err, err[-3000:]
    assert not mismatches, "\n".join(mismatches[:20])
    assert compared > 100
    assert resumes > 20  # the fuel slices really did cut runs into pieces
