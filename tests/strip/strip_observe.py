"""Run a module under wasmtime and record everything an embedder can observe of it.

Used by the differential tests: a module and its stripped form must give equal records.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import wasmtime

FUEL = 2_000_000
# Traps after which the two runs may legitimately differ in side effects (how deep a runaway
# recursion got before the native stack ran out); stop comparing at the first one.
_STOP_CODES = (wasmtime.TrapCode.OUT_OF_FUEL, wasmtime.TrapCode.STACK_OVERFLOW)


def make_engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_opt_level = "none"  # compile fast: the tests run ~2000 small modules
    return wasmtime.Engine(config)


def _kind(t: object) -> str:
    for cls, name in ((wasmtime.FuncType, "func"), (wasmtime.GlobalType, "global"),
                      (wasmtime.MemoryType, "memory"), (wasmtime.TableType, "table")):
        if isinstance(t, cls):
            return name
    return type(t).__name__


def _value(v: object) -> object:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else v.hex()
    if isinstance(v, list | tuple):
        return tuple(_value(x) for x in v)
    if isinstance(v, wasmtime.Func):
        return "funcref"
    return v


@dataclass
class Observation:
    instantiate: str = "ok"
    exports: list[tuple[str, str]] = field(default_factory=list)
    calls: list[tuple[str, object]] = field(default_factory=list)
    state: list[tuple[str, object]] = field(default_factory=list)
    stopped: bool = False


Instantiate = Callable[[wasmtime.Store, wasmtime.Module], wasmtime.Instance]


def _no_imports(store: wasmtime.Store, module: wasmtime.Module) -> wasmtime.Instance:
    return wasmtime.Instance(store, module, [])


def observe(engine: wasmtime.Engine, data: bytes, instantiate: Instantiate = _no_imports,
            stop_after: int | None = None) -> Observation:
    """Instantiate, call every exported function without parameters in export order, then
    record exported globals' values and a hash of exported memories and table sizes.

    `stop_after` cuts the calls at that many (to line up with a run that stopped early)."""
    obs = Observation()
    module = wasmtime.Module(engine, data)
    obs.exports = [(e.name, _kind(e.type)) for e in module.exports]
    store = wasmtime.Store(engine)
    store.set_fuel(FUEL)
    try:
        inst = instantiate(store, module)
    except wasmtime.Trap as trap:
        obs.instantiate = f"trap {trap.trap_code}"
        return obs
    exports = inst.exports(store)
    for e in module.exports:
        if stop_after is not None and len(obs.calls) >= stop_after:
            obs.stopped = True
            break
        t = e.type
        if not isinstance(t, wasmtime.FuncType) or t.params:
            continue
        fn = exports[e.name]
        assert isinstance(fn, wasmtime.Func)
        store.set_fuel(FUEL)
        try:
            obs.calls.append((e.name, _value(fn(store))))
        except wasmtime.Trap as trap:
            obs.calls.append((e.name, f"trap {trap.trap_code}"))
            if trap.trap_code in _STOP_CODES:
                obs.stopped = True
                break
    if not obs.stopped:
        for e in module.exports:
            item = exports[e.name]
            if isinstance(item, wasmtime.Global):
                obs.state.append((e.name, _value(item.value(store))))
            elif isinstance(item, wasmtime.Memory):
                size = item.data_len(store)
                digest = hashlib.sha256(item.read(store, 0, size)).hexdigest()
                obs.state.append((e.name, (size, digest)))
            elif isinstance(item, wasmtime.Table):
                obs.state.append((e.name, item.size(store)))
    return obs


def compare(engine: wasmtime.Engine, original: bytes, stripped: bytes,
            instantiate: Instantiate = _no_imports) -> tuple[Observation, Observation]:
    """Observe both; if the original stopped early, observe the stripped one up to the same
    call, so both records cover the same calls."""
    a = observe(engine, original, instantiate)
    b = observe(engine, stripped, instantiate, stop_after=len(a.calls) if a.stopped else None)
    if a.stopped:
        b.stopped = True
        b.state = []
    return a, b


def spectest_instantiate(store: wasmtime.Store, module: wasmtime.Module) -> wasmtime.Instance:
    """Instantiate with the spec suite's `spectest` module (see the suite's README); a
    module importing anything else fails to link (wasmtime.WasmtimeError)."""
    i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
    f32, f64 = wasmtime.ValType.f32(), wasmtime.ValType.f64()
    linker = wasmtime.Linker(store.engine)
    for name, params in (("print", []), ("print_i32", [i32]), ("print_i64", [i64]),
                         ("print_f32", [f32]), ("print_f64", [f64]),
                         ("print_i32_f32", [i32, f32]), ("print_f64_f64", [f64, f64])):
        linker.define(store, "spectest", name,
                      wasmtime.Func(store, wasmtime.FuncType(params, []), lambda *a: None))
    for name, t, v in (("global_i32", i32, 666), ("global_i64", i64, 666),
                       ("global_f32", f32, 666.6), ("global_f64", f64, 666.6)):
        linker.define(store, "spectest", name,
                      wasmtime.Global(store, wasmtime.GlobalType(t, False), v))
    table_type = wasmtime.TableType(wasmtime.ValType.funcref(), wasmtime.Limits(10, 20))
    linker.define(store, "spectest", "table", wasmtime.Table(store, table_type, None))
    linker.define(store, "spectest", "memory",
                  wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, 2))))
    return linker.instantiate(store, module)
