"""Compile AssemblyScript to a wasmote module with the AssemblyScript compiler from npm,
which `scripts/bootstrap.sh` installs into build/npm (it needs Node.js >= 20).

The flags are a device's: optimised, one 64 KiB memory page to start with, the module's
names kept for trap reports (the package is stripped anyway). The module imports
AssemblyScript's runtime functions from `env` (abort, and trace/seed when used), which the
device provides (docs/wasi.md); `--runtime stub` never frees memory, `incremental` has a GC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wasmote.paths import REPO_ROOT
from wasmote.sdk.cc import CompileError, CompileResult, compiler_error, finish_output

NPM_DIR = REPO_ROOT / "build" / "npm"
RUNTIMES = ("stub", "minimal", "incremental")


def asc_path() -> Path:
    """The `asc` the bootstrap installed; a clear error when it is not there."""
    asc = NPM_DIR / "node_modules" / ".bin" / "asc"
    if not asc.is_file():
        node = shutil.which("node")
        why = ("Node.js is not installed" if node is None else
               "it is not installed (or Node.js is older than 20)")
        raise CompileError(f"the AssemblyScript compiler is missing from {NPM_DIR}: {why}. "
                           "Run scripts/bootstrap.sh; it says what to do about Node.js")
    return asc


@dataclass(frozen=True)
class AscOptions:
    sources: tuple[Path, ...]
    output: Path
    runtime: str = "stub"
    opt: str = "-O3"
    initial_pages: int = 1
    strip: bool = True

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise CompileError(f"unknown AssemblyScript runtime {self.runtime!r} "
                               f"(use {', '.join(RUNTIMES)})")
        if not self.sources:
            raise CompileError("no AssemblyScript source given")


def asc_flags(opts: AscOptions) -> list[str]:
    return [opts.opt, "--runtime", opts.runtime, "--initialMemory", str(opts.initial_pages),
            "--debug"]


def compile_assemblyscript(opts: AscOptions) -> CompileResult:
    """Compiles the sources into one module at `opts.output` (then strips it unless told
    not to); a failed build leaves no file behind."""
    for src in opts.sources:
        if not src.is_file():
            raise CompileError(f"{src}: no such AssemblyScript source")
    asc = asc_path()
    out = opts.output
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wasmote-asc-") as private:
        tmp = Path(private) / out.name
        # asc names files as given (in abort messages): relative to the sources' folder
        base = Path(os.path.commonpath([s.resolve().parent for s in opts.sources]))
        cmd = [str(asc), *(str(s.resolve().relative_to(base)) for s in opts.sources),
               *asc_flags(opts), "-o", str(tmp.resolve())]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=base)
        except OSError as e:
            raise CompileError(f"cannot run asc: {e}") from None
        if proc.returncode != 0 or not tmp.is_file():
            raise compiler_error("asc", proc.stderr + proc.stdout)
        return finish_output(tmp, out, opts.strip)
