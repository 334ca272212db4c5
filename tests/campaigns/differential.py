"""Differential execution: random valid modules run on every engine we have; any difference
in results, traps or final memory is a bug.

Modules come from binaryen's translate-to-fuzz (`wasm-opt -ttf` turns random bytes into a
valid module; WebAssembly 2.0 features without SIMD or reference types; `--reftypes` adds
reference types: binaryen 108 then emits GC's anyref and typed references in most modules,
which are beyond 2.0 and skipped, counted as such, so it takes ~10 tries a module). Its logging
imports are renamed to the spec suite's `spectest.print_*` (same signatures, no effect) and
an export `__memhash` is added that folds the whole linear memory into an i64, so the
memory each engine leaves behind is compared too. Every exported function is called with
edge-case or random arguments, in the same order on every engine.

Engines (pluggable; `--engine` picks, default all available):
  interp     our interpreter: the posix build of the runtime core (spec driver, release)
  sliced     the same, every call suspended and resumed in slices of 1 to 97 units of fuel
             (SLICES, in turn, by the driver itself: `slices`, no round trip per slice;
             11.5 million suspensions for the test's 150 modules)
  asan       the interpreter built with ASan+UBSan (its reports are findings too)
  wasmtime   the reference (PyPI wasmtime)
  aot        our AOT compiler (wasmote.aot): the module compiled to native code for this
             host, run by the same driver; joins when wasmote.aot is importable
  aot-sliced the AOT code suspended and resumed in the same slices (its coroutine stacks)
  pd, pd-sliced  the interpreter on the pre-decoded form (docs/predecoded.md; the driver's
             --predecode), whole and in the same slices; a module it would run in place
             counts as refused

The spec leaves NaN bit patterns and the call depth of stack exhaustion open: the
comparison is blind to NaN sign/payload, and once any engine exhausts its stack the rest of
that module is not compared.

    python -m tests.campaigns.differential --modules 2000
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from tests.campaigns.common import CAMPAIGN_DIR, CampaignError, Stopwatch, Table, save_report
from tests.harness.spec_driver import Answer, DriverProcess, escape_name, list_exports
from wasmote import posix_build
from wasmote.runtime.values import Value

FEATURES = ("--mvp-features", "--enable-sign-ext", "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int", "--enable-bulk-memory",
            "--enable-multivalue")
REFTYPES = "--enable-reference-types"
RENAMES = {"log-i32": "print_i32", "log-i64": "print_i64", "log-f32": "print_f32",
           "log-f64": "print_f64"}
TYPES = {"i": "i32", "I": "i64", "f": "f32", "F": "f64", "r": "funcref", "e": "externref"}
MEMHASH = "__memhash"
MEMHASH_WAT = f"""
  (func (export "{MEMHASH}") (result i64) (local $i i32) (local $end i32) (local $h i64)
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (local.set $h (i64.const 1469598103934665603))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $i)))
                               (i64.const 1099511628211)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (local.get $h))
"""

Outcome = tuple[str, Any]  # ("ok", [(type, bits)...]) | ("trap", kind) | ("exhausted", "")


@dataclass(frozen=True)
class Call:
    name: str
    params: str  # wm_host_func letters
    results: str
    args: tuple[Value, ...]


# ---- modules --------------------------------------------------------------------------------

def make_module(rng: random.Random, work: Path, i: int,
                reftypes: bool = False) -> Path | None:
    """A random valid module with spectest imports and __memhash; None if binaryen used an
    import we cannot provide (or, with `reftypes`, a feature beyond 2.0: wabt refuses it)."""
    seed = work / f"seed{i}.bin"
    seed.write_bytes(rng.randbytes(rng.randint(500, 8000)))
    raw = work / f"raw{i}.wasm"
    subprocess.run(["wasm-opt", "-ttf", str(seed), *FEATURES, *([REFTYPES] if reftypes else []),
                    "-o", str(raw)], check=True, capture_output=True)
    wat2 = subprocess.run(["wasm2wat", str(raw)], check=not reftypes, capture_output=True,
                          text=True)
    if wat2.returncode != 0:
        return None
    text = wat2.stdout
    text = re.sub(r'\(import "fuzzing-support" "(log-[if](?:32|64))"',
                  lambda m: f'(import "spectest" "{RENAMES[m.group(1)]}"', text)
    if "fuzzing-support" in text:
        return None
    if re.search(r"^\s*\(memory ", text, re.M) and "(export \"__memhash\"" not in text:
        text = text.rstrip()[:-1] + MEMHASH_WAT + ")\n"
    wat = work / f"m{i}.wat"
    wat.write_text(text)
    out = work / f"m{i}.wasm"
    subprocess.run(["wat2wasm", str(wat), "-o", str(out)], check=True, capture_output=True)
    if reftypes and not _wasm_2_0(out):
        return None
    for f in (seed, raw, wat):
        f.unlink()
    return out


def _wasm_2_0(path: Path) -> bool:
    """wasmtime with only WebAssembly 2.0's features accepts the module."""
    import wasmtime
    cfg = wasmtime.Config()
    for feature in ("wasm_gc", "wasm_function_references", "wasm_relaxed_simd", "wasm_simd",
                    "wasm_tail_call", "wasm_threads", "wasm_memory64", "wasm_multi_memory",
                    "wasm_exceptions", "wasm_custom_page_sizes", "wasm_wide_arithmetic"):
        if hasattr(cfg, feature):
            setattr(cfg, feature, False)
    try:
        wasmtime.Module(wasmtime.Engine(cfg), path.read_bytes())
    except wasmtime.WasmtimeError:
        return False
    return True


def nan_blind(typ: str, bits: int | None) -> tuple[str, int | None]:
    if typ == "f32" and bits is not None and bits & 0x7F800000 == 0x7F800000 and \
            bits & 0x7FFFFF:
        return typ, -1
    if typ == "f64" and bits is not None and (bits >> 52) & 0x7FF == 0x7FF and \
            bits & ((1 << 52) - 1):
        return typ, -1
    return typ, bits


_INTS = (0, 1, 2, 7, 31, 32, 63, 64, 255, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
         0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF)
_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 1.5, -2.5, 3.0e9, -3.0e9, 1e-40, 65536.0, 2.0**31,
           2.0**63, float("inf"), float("-inf"), 1e300)


def random_arg(rng: random.Random, letter: str) -> Value:
    """Edges of every conversion and shift, or random bits; no NaN arguments (a Python
    float may not carry a NaN payload into wasmtime unchanged)."""
    if letter in "iI":
        width = 32 if letter == "i" else 64
        n = rng.choice(_INTS) if rng.random() < 0.7 else rng.getrandbits(width)
        return Value(TYPES[letter], n & ((1 << width) - 1))
    if letter in "fF":
        x = rng.choice(_FLOATS) if rng.random() < 0.7 else rng.uniform(-1e6, 1e6)
        if letter == "f":
            if math.isfinite(x) and abs(x) > 3e38:
                x = math.copysign(3e38, x)
            return Value("f32", int(struct.unpack("<I", struct.pack("<f", x))[0]))
        return Value("f64", int(struct.unpack("<Q", struct.pack("<d", x))[0]))
    return Value(TYPES[letter], None)


def trap_kind(msg: str) -> str:
    # wasmtime says "undefined element: out of bounds table access" for every table index
    # out of range (call_indirect, table.get/set/fill/copy/init), the spec "undefined
    # element" for call_indirect and "out of bounds table access" for the others: one kind.
    if "out of bounds table" in msg:
        return "undefined element"
    for k in ("undefined element", "uninitialized element", "divide by zero",
              "integer overflow", "out of bounds memory", "out of bounds table", "unreachable",
              "invalid conversion", "indirect call"):
        if k in msg:
            return k
    return msg


# ---- engines ----------------------------------------------------------------------------------

class Engine(Protocol):
    name: str

    def load(self, path: Path) -> list[tuple[str, str, str]] | str:
        """Exported functions (name, params, results), or why the module was refused."""
        ...

    def call(self, call: Call) -> Outcome: ...

    def close(self) -> str:
        """Ends the engine; returns sanitizer or crash output worth reporting ("" if none)."""
        ...


# The fuel of the sliced engines' slices, in turn (a cycle the same on every run; 34 on
# average: the random modules' calls are cut 11.5 million times in the test's 150 modules, which
# took 560 s on a loaded machine as a round trip each, so the driver resumes them itself).
SLICES = (1, 3, 7, 13, 29, 41, 61, 97, 5, 17, 53, 83)


class DriverEngine:
    """The runtime core through its spec driver; `transport` may compile modules first."""

    def __init__(self, name: str, exe: Path, *, sliced: bool = False, wrap: Any = None,
                 setup: Sequence[str] = (), predecode: bool = False) -> None:
        self.name = name
        self.predecode = predecode
        self.proc = DriverProcess(exe, ["--predecode"] if predecode else [], timeout=120)
        self.transport: Any = wrap(self.proc) if wrap else self.proc
        self.sliced = sliced
        if sliced:  # the driver resumes the calls itself: no round trip per slice
            self.proc.command(f"fuel {SLICES[0]}")
            if self.proc.command("slices " + " ".join(map(str, SLICES[1:] + SLICES[:1]))) \
                    != "ok":
                raise CampaignError(f"{name}: the driver does not slice calls")
        for line in setup:  # driver commands, e.g. "limit memcap 4096"
            if not self.proc.command(line).startswith("ok"):
                raise CampaignError(f"{name}: driver refused {line!r}")

    def load(self, path: Path) -> list[tuple[str, str, str]] | str:
        self.proc.command("reset")
        a = Answer.parse(self.transport.command(f"module $m {self.transport.module_source(path)}"))
        if a.kind != "ok":
            return a.raw
        if self.predecode and self.proc.command("predecoded").split()[2:3] != ["0"]:
            return "runs in place, not pre-decoded"
        return [(e.name.decode(), e.params, e.results) for e in list_exports(self.proc)
                if e.kind == "func"]

    def call(self, call: Call) -> Outcome:
        args = " ".join(v.wire() for v in call.args)
        a = Answer.parse(self.proc.command(f"invoke $m {escape_name(call.name)} {args}".rstrip()))
        if a.kind == "ok":
            return "ok", [nan_blind(v.type, v.bits) for v in a.values]
        if a.kind == "trap":
            return "trap", trap_kind(a.message)
        if a.kind == "exhausted":
            return "exhausted", ""
        return "error", a.raw

    @property
    def resumes(self) -> int:
        """How often fuel slices cut a call (proof that slicing happened)."""
        if not self.sliced or self.proc.dead:
            return 0
        a = self.proc.command("resumes").split()
        return int(a[1]) if len(a) == 2 and a[0] == "ok" else 0

    def native_modules(self) -> int | None:
        """Modules that ran as native code (the AOT engine), else None."""
        n = getattr(self.transport, "compiled", None)
        return n if isinstance(n, int) else None

    def close(self) -> str:
        rc = self.proc.close()
        err = self.proc.stderr_text()
        return err[-3000:] if rc != 0 or "Sanitizer" in err or "runtime error" in err else ""


class WasmtimeEngine:
    name = "wasmtime"

    def __init__(self) -> None:
        import wasmtime
        self.wt = wasmtime
        self.engine = wasmtime.Engine()
        self.exports: dict[str, Any] = {}
        self.store: Any = None

    def load(self, path: Path) -> list[tuple[str, str, str]] | str:
        wt = self.wt
        self.store = wt.Store(self.engine)
        linker = wt.Linker(self.engine)
        for name, vt in (("print_i32", wt.ValType.i32()), ("print_i64", wt.ValType.i64()),
                         ("print_f32", wt.ValType.f32()), ("print_f64", wt.ValType.f64())):
            linker.define_func("spectest", name, wt.FuncType([vt], []), lambda _x: None)
        try:
            inst = linker.instantiate(self.store, wt.Module.from_file(self.engine, str(path)))
        except (wt.WasmtimeError, wt.Trap) as e:
            return f"refused: {e}"
        self.exports = dict(inst.exports(self.store).items())
        letters = {"i32": "i", "i64": "I", "f32": "f", "f64": "F", "funcref": "r",
                   "externref": "e", "anyref": "e"}  # wasmtime-py 50 names externref anyref
        out = []
        for name, ext in self.exports.items():
            if isinstance(ext, wt.Func):
                ty = ext.type(self.store)
                out.append((name, "".join(letters[str(t)] for t in ty.params),
                            "".join(letters[str(t)] for t in ty.results)))
        return out

    def call(self, call: Call) -> Outcome:
        func = self.exports[call.name]
        try:
            r = func(self.store, *(_wasmtime_arg(a) for a in call.args))
        except self.wt.Trap as e:
            msg = str(e)
            return ("exhausted", "") if "call stack exhausted" in msg else \
                ("trap", trap_kind(msg))
        vals = list(r) if isinstance(r, (list, tuple)) else ([] if r is None else [r])
        return "ok", [nan_blind(TYPES[t], _wt_bits(TYPES[t], v))
                      for t, v in zip(call.results, vals, strict=True)]

    def close(self) -> str:
        return ""


def _wasmtime_arg(v: Value) -> Any:
    if v.bits is None:
        return None
    if v.type == "f32":
        return struct.unpack("<f", struct.pack("<I", v.bits))[0]
    if v.type == "f64":
        return struct.unpack("<d", struct.pack("<Q", v.bits))[0]
    width = 32 if v.type == "i32" else 64
    return v.bits - (1 << width) if v.bits >> (width - 1) else v.bits


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


def aot_available() -> str | None:
    """None if the AOT engine can run here, else why not."""
    try:
        from tests.harness.aot_spec_transport import AotTransport  # noqa: F401
        from wasmote.aot.targets import get_target
        get_target("host")
    except ImportError as e:
        return f"wasmote.aot not available ({e})"
    except Exception as e:  # a toolchain or target problem: AOT cannot join this run
        return f"AOT has no target for this host ({e})"
    return None


def aot_engine(name: str, *, sliced: bool = False, fuel: bool = True) -> DriverEngine:
    """The spec driver running each module as AOT code compiled for this host (`fuel`:
    metered, as users run it; without, only where a campaign says how it compares)."""
    why = aot_available()
    if why:
        raise CampaignError(why)
    from tests.harness.aot_spec_transport import AotTransport
    from wasmote.aot.targets import get_target
    return DriverEngine(name, posix_build.build_program("wasmote-spec", "release"),
                        sliced=sliced, wrap=functools.partial(
                            AotTransport, target=get_target("host"), fuel=fuel))


def make_engines(names: Sequence[str]) -> list[Engine]:
    engines: list[Engine] = []
    for name in names:
        if name == "asan":
            engines.append(DriverEngine(
                "asan", posix_build.build_program("wasmote-spec", "asan")))
        elif name in ("interp", "sliced", "aot", "aot-sliced", "pd", "pd-sliced"):
            exe = posix_build.build_program("wasmote-spec", "release")
            if name == "interp":
                engines.append(DriverEngine("interp", exe))
            elif name == "sliced":
                engines.append(DriverEngine("sliced", exe, sliced=True))
            elif name in ("pd", "pd-sliced"):
                engines.append(DriverEngine(name, exe, sliced=name == "pd-sliced",
                                            predecode=True))
            else:
                engines.append(aot_engine(name, sliced=name == "aot-sliced"))
        elif name == "wasmtime":
            engines.append(WasmtimeEngine())
        else:
            raise CampaignError(f"unknown engine {name}")
    return engines


def default_engines() -> list[str]:
    return ["interp", "sliced", "wasmtime"] + ([] if aot_available() else ["aot", "aot-sliced"])


# ---- the campaign -----------------------------------------------------------------------------

@dataclass
class DiffResult:
    engines: list[str]
    modules_tried: int = 0        # generated by binaryen
    modules_skipped: int = 0      # imports no engine provides, or (reftypes) beyond 2.0
    modules_compared: int = 0
    calls_compared: int = 0
    memories_compared: int = 0
    exhausted: int = 0            # modules whose comparison stopped at stack exhaustion
    ref_exports: int = 0          # exports not called: a reference parameter or result
    refused: list[str] = field(default_factory=list)      # a valid module refused
    mismatches: list[str] = field(default_factory=list)
    engine_reports: list[str] = field(default_factory=list)  # sanitizer / crash output
    aot_native: int | None = None  # modules the AOT engine really ran as native code
    resumes: int = 0               # calls cut by fuel and resumed (sliced engines)
    resumes_by_engine: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def load_everywhere(engines: Sequence[Engine], path: Path,
                    refused: list[str]) -> list[list[tuple[str, str, str]]] | None:
    """The module loaded on every engine: each one's list of exports, or None when any
    refused it (each refusal recorded in `refused`)."""
    loaded = [e.load(path) for e in engines]
    lists = [got for got in loaded if not isinstance(got, str)]
    for e, got in zip(engines, loaded, strict=True):
        if isinstance(got, str):
            refused.append(f"{path.name}: {e.name} refused a valid module: {got}")
    return lists if len(lists) == len(loaded) else None


def run_module(engines: Sequence[Engine], path: Path, rng: random.Random,
               res: DiffResult) -> None:
    loaded = load_everywhere(engines, path, res.refused)
    if loaded is None:
        return
    funcs = loaded[0]
    for e, got in zip(engines[1:], loaded[1:], strict=True):
        if got != funcs:
            res.mismatches.append(f"{path.name}: {e.name} lists exports {got}, "
                                  f"{engines[0].name} {funcs}")
            return
    res.modules_compared += 1
    # A reference is a handle whose value each engine picks (and the driver cannot pass a
    # function): such exports are counted, not called.
    refs = [n for n, ps, rs in funcs if set(ps + rs) & set("re")]
    res.ref_exports += len(refs)
    calls = [Call(n, ps, rs, tuple(random_arg(rng, x) for x in ps))
             for n, ps, rs in funcs if n != MEMHASH and n not in refs]
    if any(n == MEMHASH for n, _, _ in funcs):
        calls.append(Call(MEMHASH, "", "I", ()))
    for call in calls:
        outs = [e.call(call) for e in engines]
        if any(o[0] == "exhausted" for o in outs):
            res.exhausted += 1
            return  # the depth is the engine's choice; states may differ from here on
        if any(o != outs[0] for o in outs[1:]):
            res.mismatches.append(
                f"{path.name} {call.name}{tuple(a.wire() for a in call.args)}: " +
                ", ".join(f"{e.name} {o}" for e, o in zip(engines, outs, strict=True)))
            keep = CAMPAIGN_DIR / "differential"
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, keep / path.name)
            return
        res.calls_compared += 1
        res.memories_compared += call.name == MEMHASH


def campaign(modules: int, engine_names: Sequence[str], seed: int = 1,
             reftypes: bool = False) -> DiffResult:
    for tool in ("wasm-opt", "wasm2wat", "wat2wasm"):
        if shutil.which(tool) is None:
            raise CampaignError(f"{tool} (binaryen/wabt) is not installed")
    engines = make_engines(engine_names)
    res = DiffResult([e.name for e in engines])
    rng = random.Random(seed)
    watch = Stopwatch()
    try:
        with tempfile.TemporaryDirectory(prefix="wasmote-diff-") as tmp:
            for i in range(modules):
                res.modules_tried += 1
                path = make_module(rng, Path(tmp), i, reftypes)
                if path is None:
                    res.modules_skipped += 1
                    continue
                run_module(engines, path, rng, res)
                path.unlink()
                if (i + 1) % 250 == 0:
                    print(f"{i + 1}/{modules} modules, {len(res.mismatches)} mismatches",
                          file=sys.stderr, flush=True)
    finally:
        for e in engines:
            if isinstance(e, DriverEngine) and e.name == "aot" and \
                    e.native_modules() is not None:
                res.aot_native = e.native_modules()
            res.resumes += getattr(e, "resumes", 0)
            res.resumes_by_engine[e.name] = getattr(e, "resumes", 0)
            rep = e.close()
            if rep:
                res.engine_reports.append(f"{e.name}: {rep}")
    res.seconds = round(watch.seconds(), 1)
    return res


def report(r: DiffResult) -> str:
    t = Table(["engines", "modules tried", "compared", "skipped (imports, beyond 2.0)",
               "calls compared", "memories compared", "exports with references (not called)",
               "stopped at exhaustion", "refused", "mismatches", "AOT native", "resumes",
               "seconds"])
    t.add(" ".join(r.engines), r.modules_tried, r.modules_compared, r.modules_skipped,
          r.calls_compared, r.memories_compared, r.ref_exports, r.exhausted, len(r.refused),
          len(r.mismatches), "-" if r.aot_native is None else r.aot_native, r.resumes,
          r.seconds)
    lines = [t.render()]
    lines += [f"  {x}" for x in (r.refused + r.mismatches + r.engine_reports)[:30]]
    return "\n".join(lines)


class Compared(Protocol):
    """What a comparison campaign's result says went wrong (a dataclass)."""
    __dataclass_fields__: ClassVar[dict[str, Any]]
    refused: list[str]
    mismatches: list[str]
    engine_reports: list[str]


_R = TypeVar("_R", bound=Compared)


def conclude(name: str, run: Callable[[], _R], describe: Callable[[_R], str]) -> int:
    """A comparison campaign run as a command: its report printed and saved as `name`;
    the exit status 1 on any difference, 2 when it could not run."""
    try:
        r = run()
    except CampaignError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(describe(r))
    save_report(name, asdict(r))
    return 1 if r.refused or r.mismatches or r.engine_reports else 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.campaigns.differential",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modules", type=int, default=2000)
    ap.add_argument("--engine", action="append",
                    choices=("interp", "sliced", "asan", "wasmtime", "aot", "aot-sliced",
                             "pd", "pd-sliced"),
                    help="repeatable; default: every engine available here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reftypes", action="store_true",
                    help="binaryen may use reference types (multi-table, table.*, refs)")
    args = ap.parse_args(argv)
    names = args.engine or default_engines()
    if not args.engine and "aot" not in names:
        print(f"note: {aot_available()}; comparing without AOT", file=sys.stderr)
    return conclude("differential",
                    lambda: campaign(args.modules, names, args.seed, args.reftypes), report)


if __name__ == "__main__":
    sys.exit(main())
