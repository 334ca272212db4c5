"""Hypothesis strategy for small valid modules exercising everything strip renumbers.

A module is written as WAT and assembled with wabt's wat2wasm. It mixes exported, called,
indirectly called and unused functions; used and unused globals, types, imports; active,
passive and declarative element segments; active and passive data segments; a defined,
exported, imported or absent memory; an optional start function and multi-value blocks
(whose block types are type indices).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime
from hypothesis import strategies as st

I32_BINOPS = ("add", "sub", "mul", "xor", "div_u", "rem_s", "shl", "rotl", "and")


@dataclass
class Ctx:
    """What an expression in function `me` may use."""

    me: int
    kinds: list[str]  # "nullary" | "unary" per function
    n_globals: int
    memory: bool
    table_size: int
    imports: list[str]
    passive_data: bool
    passive_elem: bool
    refs: set[int] = field(default_factory=set)


def _expr(draw: st.DrawFn, c: Ctx, depth: int) -> str:
    options = ["const", "binop", "local", "local64"]
    if c.kinds[c.me] == "unary":
        options.append("param")
    if c.n_globals:
        options += ["global.get", "global.set"]
    if any(j > c.me for j in range(len(c.kinds))):
        options += ["call", "call"]
    if c.imports:
        options.append("import")
    if c.memory:
        options += ["load", "store", "memory.size"]
        if c.passive_data:
            options.append("memory.init")
    if c.table_size:
        options.append("call_indirect")
        if c.passive_elem:
            options.append("table.init")
    options += ["ref.func", "multi"]
    if depth <= 0:
        options = [o for o in options if o in ("const", "param", "global.get", "memory.size")]
    op = draw(st.sampled_from(options))
    sub = depth - 1

    def e() -> str:
        return _expr(draw, c, sub)

    if op == "const":
        return f"(i32.const {draw(st.integers(-(2**31), 2**31 - 1))})"
    if op == "param":
        return "(local.get 0)"
    if op == "local":
        x = draw(st.sampled_from(["$b", "$d"]))
        return f"(i32.add (local.tee {x} {e()}) (local.get {x}))"
    if op == "local64":
        return (f"(i32.wrap_i64 (i64.rotl (local.tee $a (i64.extend_i32_s {e()})) "
                "(local.get $a)))")
    if op == "binop":
        return f"(i32.{draw(st.sampled_from(I32_BINOPS))} {e()} {e()})"
    if op == "global.get":
        return f"(global.get $g{draw(st.integers(0, c.n_globals - 1))})"
    if op == "global.set":
        g = draw(st.integers(0, c.n_globals - 1))
        return f"(block (result i32) (global.set $g{g} {e()}) (global.get $g{g}))"
    if op == "call":
        j = draw(st.integers(c.me + 1, len(c.kinds) - 1))
        return f"(call $f{j} {e()})" if c.kinds[j] == "unary" else f"(call $f{j})"
    if op == "import":
        return f"(call ${draw(st.sampled_from(c.imports))} {e()})"
    if op == "load":
        # Mostly in bounds; an address near the end of the page traps.
        addr = draw(st.sampled_from([0, 4, 16, 64, 1024, 65532, 65534]))
        return f"(i32.load offset={addr} (i32.and {e()} (i32.const 3)))"
    if op == "store":
        addr = draw(st.sampled_from([0, 8, 32, 512]))
        return (f"(block (result i32) (i32.store (i32.const {addr}) {e()}) "
                f"(i32.load (i32.const {addr})))")
    if op == "memory.size":
        return "(memory.size)"
    if op == "memory.init":
        return ("(block (result i32) (memory.init $pd (i32.const 100) (i32.const 0) "
                "(i32.const 4)) (i32.load (i32.const 100)))")
    if op == "call_indirect":
        k = draw(st.integers(0, c.table_size))  # the last index is out of bounds
        return f"(call_indirect $t (type $un) {e()} (i32.const {k}))"
    if op == "table.init":
        return ("(block (result i32) (table.init $t $pe (i32.const 0) (i32.const 0) "
                f"(i32.const 1)) {e()})")
    if op == "ref.func":
        j = draw(st.integers(0, len(c.kinds) - 1))
        c.refs.add(j)
        return f"(i32.add (ref.is_null (ref.func $f{j})) {e()})"
    # multi: a block with two results has a type-index block type.
    return f"(i32.sub (block (result i32 i32) {e()} {e()}))"


@st.composite
def wat_modules(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 7))
    kinds = [draw(st.sampled_from(["nullary", "unary"])) for _ in range(n)]
    n_globals = draw(st.integers(0, 3))
    memory = draw(st.sampled_from(["none", "defined", "exported", "imported"]))
    table_size = draw(st.integers(0, 4))
    imports = draw(st.lists(st.sampled_from(["imp_a", "imp_b"]), unique=True, max_size=2))
    passive_data = memory != "none" and draw(st.booleans())
    passive_elem = table_size > 0 and draw(st.booleans())
    ctx = Ctx(0, kinds, n_globals, memory != "none", table_size, imports, passive_data,
              passive_elem)

    lines = ["(module"]
    lines.append("  (type $un (func (param i32) (result i32)))")
    for k in range(draw(st.integers(0, 2))):
        lines.append(f"  (type $unused{k} (func (param f64 i64)))")
    for name in imports:
        lines.append(f'  (import "env" "{name}" (func ${name} (type $un)))')
    if draw(st.booleans()):
        lines.append('  (import "env" "gi" (global $gi i32))')
    if memory == "imported":
        lines.append('  (import "env" "mem" (memory 1))')
    elif memory != "none":
        lines.append("  (memory 1)")
    if memory in ("exported", "imported") and draw(st.booleans()):
        lines.append('  (export "mem" (memory 0))')
    if table_size:
        lines.append(f"  (table $t {table_size} funcref)")
    for g in range(n_globals):
        init = draw(st.integers(-1000, 1000))
        lines.append(f"  (global $g{g} (mut i32) (i32.const {init}))")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f'  (export "g{g}" (global $g{g}))')
    lines.append(f"  (global $unused_global i64 (i64.const {draw(st.integers(0, 99))}))")

    bodies = []
    for i in range(n):
        ctx.me = i
        body = _expr(draw, ctx, draw(st.integers(0, 4)))
        sig = "(type $un)" if kinds[i] == "unary" else "(result i32)"
        # Interleaved local types, so that compacting the declarations renumbers them.
        locals_ = "(local $a i64) (local $b i32) (local $c f64) (local $d i32)"
        bodies.append(f"  (func $f{i} {sig} {locals_} {body})")
    lines += bodies

    unary = [i for i in range(n) if kinds[i] == "unary"] or [0]
    if table_size:
        # Active segment: functions of any signature, so call_indirect may also mismatch.
        entries = [draw(st.sampled_from(range(n))) for _ in range(draw(st.integers(0, table_size)))]
        offset = draw(st.integers(0, table_size - len(entries)))
        lines.append(f"  (elem (table $t) (i32.const {offset}) func "
                     + " ".join(f"$f{j}" for j in entries) + ")")
        if passive_elem:
            lines.append(f"  (elem $pe func $f{draw(st.sampled_from(unary))})")
    if ctx.refs:
        lines.append("  (elem declare func " + " ".join(f"$f{j}" for j in sorted(ctx.refs)) + ")")
    if memory != "none":
        for _ in range(draw(st.integers(0, 2))):
            blob = draw(st.binary(min_size=1, max_size=8))
            text = "".join(f"\\{b:02x}" for b in blob)
            lines.append(f'  (data (i32.const {draw(st.integers(0, 600))}) "{text}")')
        if passive_data:
            lines.append('  (data $pd "\\01\\02\\03\\04")')
    if draw(st.booleans()):
        call = f"(call $f{n - 1} (i32.const 7))" if kinds[n - 1] == "unary" else f"(call $f{n - 1})"
        if n_globals:
            body = f"(global.set $g{draw(st.integers(0, n_globals - 1))} {call})"
        else:
            body = f"(drop {call})"
        lines.append(f"  (func $start {body})")
        lines.append("  (start $start)")
    exported = draw(st.sets(st.integers(0, n - 1), min_size=1))
    for i in sorted(exported):
        lines.append(f'  (export "f{i}" (func $f{i}))')
        if kinds[i] == "unary":
            # The differential runner calls only functions without parameters.
            arg = draw(st.integers(-(2**31), 2**31 - 1))
            lines.append(f'  (func (export "call_f{i}") (result i32) '
                         f'(call $f{i} (i32.const {arg})))')
    lines.append(")")
    return "\n".join(lines)


def assemble(wat: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "m.wat", Path(d) / "m.wasm"
        src.write_text(wat)
        res = subprocess.run(["wat2wasm", str(src), "-o", str(out)], capture_output=True,
                             text=True)
        if res.returncode != 0:
            raise AssertionError(f"generator wrote invalid WAT: {res.stderr}\n{wat}")
        return out.read_bytes()


def env_instantiate(store: wasmtime.Store, module: wasmtime.Module) -> wasmtime.Instance:
    """The `env` imports generated modules may ask for."""
    i32 = wasmtime.ValType.i32()
    un = wasmtime.FuncType([i32], [i32])
    linker = wasmtime.Linker(store.engine)

    def imp_a(x: int) -> int:
        return (x * 3 + 1) & 0x7FFFFFFF

    def imp_b(x: int) -> int:
        return x ^ 0x55

    linker.define(store, "env", "imp_a", wasmtime.Func(store, un, imp_a))
    linker.define(store, "env", "imp_b", wasmtime.Func(store, un, imp_b))
    linker.define(store, "env", "gi", wasmtime.Global(store, wasmtime.GlobalType(i32, False), 77))
    linker.define(store, "env", "mem",
                  wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None))))
    return linker.instantiate(store, module)
