"""Differential fuzzing against wasmtime: random *valid* modules from binaryen's
translate-to-fuzz (wasm-opt -ttf, 2.0 features without SIMD/reference types), every exported
function called on our runtime and on wasmtime; results, traps and memory hashes must agree.
The same calls also run on the ASan+UBSan build and, with a fuel budget of a few units,
suspended and resumed until they finish: both must answer exactly like the plain run.

binaryen's modules bound their loops with a "hang limit" global and import
fuzzing-support.log-*; the imports are renamed to spectest.print_* (same signatures, no
effect) so that both engines link them. Where the spec leaves a choice the comparison is
blind to it: NaN sign/payload, and the depth at which the call stack runs out (once either
engine exhausts, the rest of that module is not compared).
"""

from __future__ import annotations

import random
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wasmote.runtime.driver import Answer, DriverProcess, escape_name, list_exports

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


def _wasmtime_run(path: Path, calls: list[tuple[str, str, str]]) -> list[tuple[str, Any]]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    for name, vt in (("print_i32", wasmtime.ValType.i32()), ("print_i64", wasmtime.ValType.i64()),
                     ("print_f32", wasmtime.ValType.f32()), ("print_f64", wasmtime.ValType.f64())):
        linker.define_func("spectest", name, wasmtime.FuncType([vt], []), lambda _x: None)
    inst = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path)))
    exports = inst.exports(store)
    out: list[tuple[str, Any]] = []
    for name, params, results in calls:
        func = exports[name]
        assert isinstance(func, wasmtime.Func)
        args = [0.0 if p in "fF" else (None if p in "re" else 0) for p in params]
        try:
            r = func(store, *args)
        except wasmtime.Trap as e:
            msg = str(e)
            out.append(("exhausted" if "call stack exhausted" in msg else "trap", msg))
            continue
        vals = list(r) if isinstance(r, (list, tuple)) else ([] if r is None else [r])
        out.append(("ok", [_nan_blind(TYPES[t], _wt_bits(TYPES[t], v))
                           for t, v in zip(results, vals, strict=True)]))
    return out


def _ours_run(d: DriverProcess, path: Path) -> tuple[list[tuple[str, str, str]],
                                                     list[tuple[str, Any]]]:
    a = Answer.parse(d.command(f"module - {d.module_source(path)}"))
    assert a.kind == "ok", f"{path.name}: a valid module was refused: {a.raw}"
    funcs = [e for e in list_exports(d) if e.kind == "func"]
    calls = [(e.name.decode(), e.params, e.results) for e in funcs]
    out: list[tuple[str, Any]] = []
    for name, params, _results in calls:
        zero = {"i": "i32:0", "I": "i64:0", "f": "f32:0", "F": "f64:0", "r": "funcref:null",
                "e": "externref:null"}
        args = " ".join(zero[p] for p in params)
        a = Answer.parse(d.command(f"invoke - {escape_name(name)} {args}".rstrip()))
        if a.kind == "ok":
            out.append(("ok", [_nan_blind(v.type, v.bits) for v in a.values]))
        else:
            out.append((a.kind, a.message or a.raw))
    return calls, out


def _metered_run(d: DriverProcess, path: Path, calls: list[tuple[str, str, str]],
                 slice_: int) -> tuple[list[tuple[str, Any]], int]:
    """The same calls with a tiny fuel budget, resumed until they finish: (answers, resumes)."""
    assert Answer.parse(d.command(f"module $m {d.module_source(path)}")).kind == "ok"
    out: list[tuple[str, Any]] = []
    resumes = 0
    zero = {"i": "i32:0", "I": "i64:0", "f": "f32:0", "F": "f64:0", "r": "funcref:null",
            "e": "externref:null"}
    for name, params, _results in calls:
        args = " ".join(zero[p] for p in params)
        a = Answer.parse(d.command(f"invoke $m {escape_name(name)} {args}".rstrip()))
        while a.kind == "outoffuel":
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
            d.command("reset")
            sanitized.command("reset")
            calls, ours = _ours_run(d, path)
            assert _ours_run(sanitized, path) == (calls, ours), f"{path.name}: asan differs"
            metered.command("reset")
            sliced, n = _metered_run(metered, path, calls, FUEL_SLICE)
            assert sliced == ours, f"{path.name}: suspended and resumed calls answer otherwise"
            resumes += n
            theirs = _wasmtime_run(path, calls)
            for (name, _p, _r), o, t in zip(calls, ours, theirs, strict=True):
                if "exhausted" in (o[0], t[0]):
                    break  # the spec leaves the depth open; states may differ from here on
                same = o == t if o[0] == "ok" else (o[0] == t[0] == "trap"
                                                    and _trap_kind(o[1]) == _trap_kind(t[1]))
                if not same:
                    mismatches.append(f"{path.name} {name}: ours {o}, wasmtime {t}")
                compared += 1
        rc = sanitized.close()
        err = sanitized.stderr_text()
    assert rc == 0 and "Sanitizer" not in err and "runtime error" not in err, err[-3000:]
    assert not mismatches, "\n".join(mismatches[:20])
    assert compared > 100
    assert resumes > 20  # the fuel slices really did cut runs into pieces
