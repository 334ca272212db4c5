"""Output size of `wasmote strip` against wabt's wasm-strip and binaryen's wasm-opt.

For every module of the corpus (bench/corpus/, built by bench/corpus_build.py) this prints
the original size, `wasm-strip` (wabt), `wasm-opt --strip-debug --strip-producers`
(binaryen), ours with --no-gc and with --gc, and the ratios of ours to the better tool.
For information it also shows binaryen's own module-level dead-code removal
(`wasm-opt+gc`: --remove-unused-module-elements, all custom sections stripped) and our
gc's ratio to it (`gc/it`).
All references are measured in the same run. Each stripped module's `selftest()` is run
under wasmtime and compared with the original's (column "same").

    python -m bench.strip_size [--json]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.corpus_build import CorpusModule, build_all
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import StripOptions, strip_bytes

# What zig's generic wasm32 CPU enables: WebAssembly 2.0 without SIMD.
WASM2_FEATURES = ("--enable-sign-ext", "--enable-mutable-globals", "--enable-bulk-memory",
                  "--enable-nontrapping-float-to-int", "--enable-multivalue",
                  "--enable-reference-types")


@dataclass
class Row:
    module: str
    original: int
    wasm_strip: int
    wasm_opt: int
    wasm_opt_gc: int
    ours: int
    ours_gc: int
    same_result: bool

    @property
    def best_tool(self) -> int:
        return min(self.wasm_strip, self.wasm_opt)


def _tool_size(cmd: list[str], out: Path) -> int:
    subprocess.run(cmd, check=True, capture_output=True)
    return out.stat().st_size


def _selftest(data: bytes) -> object:
    import wasmtime

    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
    fn = inst.exports(store)["selftest"]
    assert isinstance(fn, wasmtime.Func)
    return fn(store)


def measure(mod: CorpusModule, tmp: Path) -> Row:
    data = mod.path.read_bytes()
    a, b = tmp / "wabt.wasm", tmp / "binaryen.wasm"
    wabt = _tool_size(["wasm-strip", str(mod.path), "-o", str(a)], a)
    # binaryen takes the features from the target_features section; a module without one
    # (zig at -Os) needs them on the command line, else wasm-opt rejects it as MVP.
    has_features = any(c.name == "target_features" for c in read_module(data).customs)
    features = [] if has_features else list(WASM2_FEATURES)
    binaryen = _tool_size(["wasm-opt", "--strip-debug", "--strip-producers", *features,
                           str(mod.path), "-o", str(b)], b)
    # For information: binaryen's own module-level dead-code removal, all customs stripped.
    binaryen_gc = _tool_size(["wasm-opt", "--strip-debug", "--strip-producers",
                              "--strip-target-features", "--remove-unused-module-elements",
                              *features, str(mod.path), "-o", str(b)], b)
    ours, _ = strip_bytes(data, StripOptions(gc=False))
    ours_gc, _ = strip_bytes(data, StripOptions(gc=True))
    same = _selftest(data) == _selftest(ours) == _selftest(ours_gc)
    return Row(mod.label, len(data), wabt, binaryen, binaryen_gc, len(ours), len(ours_gc), same)


def table(rows: list[Row]) -> str:
    head = (f"{'module':<18} {'original':>8} {'wasm-strip':>10} {'wasm-opt':>8} "
            f"{'ours':>6} {'ours+gc':>7} {'ours/best':>9} {'gc/best':>7} {'gc/orig':>7} "
            f"{'wasm-opt+gc':>11} {'gc/it':>6} same")
    lines = [head, "-" * len(head)]

    def line(r: Row) -> str:
        return (f"{r.module:<18} {r.original:>8} {r.wasm_strip:>10} {r.wasm_opt:>8} "
                f"{r.ours:>6} {r.ours_gc:>7} {r.ours / r.best_tool:>9.3f} "
                f"{r.ours_gc / r.best_tool:>7.3f} {r.ours_gc / r.original:>7.3f} "
                f"{r.wasm_opt_gc:>11} {r.ours_gc / r.wasm_opt_gc:>6.3f} "
                f"{'yes' if r.same_result else 'NO'}")

    lines += [line(r) for r in rows]
    o, ws, wo, wg, u, g = (sum(getattr(r, f) for r in rows) for f in (
        "original", "wasm_strip", "wasm_opt", "wasm_opt_gc", "ours", "ours_gc"))
    lines.append("-" * len(head))
    lines.append(line(Row("total", o, ws, wo, wg, u, g, all(r.same_result for r in rows))))
    larger = [r.module for r in rows if r.ours > r.best_tool or r.ours_gc > r.best_tool]
    not_smaller = [r.module for r in rows if r.ours_gc >= r.best_tool]
    lines.append("")
    lines.append("goal 1, never larger than either tool: "
                 + ("met" if not larger else "MISSED on " + ", ".join(larger)))
    lines.append("goal 2, smaller than both with --gc:  "
                 + ("met" if not not_smaller else "MISSED on " + ", ".join(not_smaller)))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    for tool in ("wasm-strip", "wasm-opt"):
        if shutil.which(tool) is None:
            print(f"{tool} not found (install wabt and binaryen: ./wasmote.sh test does)",
                  file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory() as d:
        rows = [measure(m, Path(d)) for m in build_all()]
    if "--json" in argv:
        print(json.dumps([asdict(r) for r in rows], indent=1))
    else:
        print(table(rows))
    return 0 if all(r.same_result for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
