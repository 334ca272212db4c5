"""Builds the strip benchmark corpus: real C programs compiled to wasm with zig cc.

Each program in bench/corpus/ is built at -Os and -O2, with and without -g. Outputs are
cached under build/strip-corpus/, keyed by a hash of the sources, the flags and the compiler
version, so a second run compiles nothing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wasmote.paths import BUILD_DIR, REPO_ROOT

CORPUS_DIR = REPO_ROOT / "bench" / "corpus"
OUT_DIR = BUILD_DIR / "strip-corpus"

# zig cc enables UBSan at low -O levels; freestanding modules have no runtime for it.
BASE_FLAGS = ("-target", "wasm32-freestanding", "-nostdlib", "-Wl,--no-entry",
              "-fno-sanitize=undefined", "-std=c99", "-Wall", "-Wextra", "-Werror")


class CorpusBuildError(RuntimeError):
    """The compiler failed on a corpus program."""


@dataclass(frozen=True)
class Program:
    """One C source of the corpus and the link flags it needs."""

    name: str
    size_class: str
    extra_flags: tuple[str, ...] = ()

    @property
    def source(self) -> Path:
        return CORPUS_DIR / f"{self.name}.c"


@dataclass(frozen=True)
class Variant:
    """An optimisation level, with or without DWARF."""

    opt: str
    debug: bool

    @property
    def label(self) -> str:
        return self.opt + (" -g" if self.debug else "")

    def flags(self) -> tuple[str, ...]:
        # zig cc keeps DWARF at -O2 unless told otherwise, so "without" says -g0.
        return (self.opt, "-g") if self.debug else (self.opt, "-g0")


@dataclass(frozen=True)
class CorpusModule:
    """A built corpus module."""

    program: Program
    variant: Variant
    path: Path

    @property
    def label(self) -> str:
        return f"{self.program.name} {self.variant.label}"


PROGRAMS: tuple[Program, ...] = (
    Program("add", "tiny"),
    Program("crc32", "small"),
    Program("tokenizer", "medium"),
    Program("filterbank", "medium"),
    # Linked whole, as SDK makefiles sometimes do: dead functions only a module GC removes.
    Program("mathlib", "medium", ("-Wl,--no-gc-sections",)),
    Program("interp", "larger"),
    Program("crypto_fmt", "larger"),
)

VARIANTS: tuple[Variant, ...] = (
    Variant("-Os", False), Variant("-Os", True), Variant("-O2", False), Variant("-O2", True),
)


def _compiler() -> list[str]:
    return [sys.executable, "-m", "ziglang", "cc"]


_zig_version_cache: list[str] = []


def _zig_version() -> str:
    if not _zig_version_cache:
        out = subprocess.run([sys.executable, "-m", "ziglang", "version"], check=True,
                             capture_output=True, text=True)
        _zig_version_cache.append(out.stdout.strip())
    return _zig_version_cache[0]


def _cache_key(program: Program, flags: list[str]) -> str:
    h = hashlib.sha256()
    h.update(_zig_version().encode())
    h.update("\0".join(flags).encode())
    for header in sorted(CORPUS_DIR.glob("*.h")):
        h.update(header.read_bytes())
    h.update(program.source.read_bytes())
    return h.hexdigest()[:16]


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def build(program: Program, variant: Variant, out_dir: Path = OUT_DIR) -> CorpusModule:
    """Compiles one program in one variant (or returns the cached output)."""
    flags = [*BASE_FLAGS, *variant.flags(), *program.extra_flags]
    key = _cache_key(program, flags)
    opt = variant.opt.lstrip("-") + ("-g" if variant.debug else "")
    out = out_dir / f"{program.name}.{opt}.{key}.wasm"
    if not out.exists():
        # Compile in a private folder, then rename: parallel builders never see half a file.
        # The file keeps its final name there because the linker records it in the module.
        with tempfile.TemporaryDirectory(dir=_ensure(out_dir)) as private:
            tmp = Path(private) / out.name
            cmd = [*_compiler(), *flags, str(program.source), "-o", str(tmp)]
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=CORPUS_DIR)
            if res.returncode != 0:
                raise CorpusBuildError(
                    f"{program.source.name} {variant.label}: {res.stderr.strip()}")
            tmp.replace(out)
    return CorpusModule(program, variant, out)


def build_all(variants: tuple[Variant, ...] = VARIANTS,
              out_dir: Path = OUT_DIR) -> list[CorpusModule]:
    """Builds every program in every variant, in corpus order."""
    return [build(p, v, out_dir) for p in PROGRAMS for v in variants]


if __name__ == "__main__":
    for m in build_all():
        print(f"{m.label:<22} {m.path.stat().st_size:>8}  {m.path}")
