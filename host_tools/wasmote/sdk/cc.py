"""Compile C to a wasmote module with PyPI's zig (`python -m ziglang cc`), no other toolchain.

The flags are the ones a device wants (sdk/wasmote.h explains them): a freestanding wasm32
module with no entry point and no libc/WASI imports unless asked, optimised for size, an
8 KiB stack and one 64 KiB memory page, and the SDK header on the include path. The result
is stripped by the toolkit's strip, and can be checked and wrapped into a package when a
manifest is given.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from wasmote.errors import WasmoteError
from wasmote.package.build import BuildResult, build_package
from wasmote.package.manifest import Manifest
from wasmote.paths import REPO_ROOT
from wasmote.wasm.strip import strip_bytes

SDK_INCLUDE_DIR = REPO_ROOT / "sdk"

# zig cc enables UBSan at low -O levels; a freestanding module has no runtime for it.
FREESTANDING_FLAGS: tuple[str, ...] = ("-target", "wasm32-freestanding", "-nostdlib",
                                       "-Wl,--no-entry", "-fno-sanitize=undefined")
# WASI gives libc (printf, malloc) through wasi_snapshot_preview1 imports, which the device
# provides as far as a microcontroller can (docs/wasi.md): a reactor (exports, _initialize
# first) or a command (main, _start).
WASI_FLAGS: dict[str, tuple[str, ...]] = {
    "reactor": ("-target", "wasm32-wasi", "-mexec-model=reactor", "-fno-sanitize=undefined"),
    "command": ("-target", "wasm32-wasi", "-fno-sanitize=undefined"),
}
WARNING_FLAGS: tuple[str, ...] = ("-std=c99", "-Wall", "-Wextra")
DEFAULT_STACK = 8192
DEFAULT_MEMORY = 65536
WASM_PAGE = 65536


class CompileError(WasmoteError):
    """The C compiler failed (the message carries its diagnostics) or could not run."""

    def __init__(self, message: str, diagnostics: str = "") -> None:
        self.diagnostics = diagnostics
        super().__init__(message)


@dataclass(frozen=True)
class CompileOptions:
    """What to compile and how; the defaults are what a device module needs."""

    sources: tuple[Path, ...]
    output: Path
    opt: str = "-Os"
    wasi: str = ""                         # "", "reactor" or "command" (WASI_FLAGS)
    exports: tuple[str, ...] = ()          # besides functions marked export_name(...)
    stack_size: int = DEFAULT_STACK
    initial_memory: int = DEFAULT_MEMORY
    include_dirs: tuple[Path, ...] = ()
    defines: tuple[str, ...] = ()
    debug: bool = False
    werror: bool = True
    strip: bool = True
    extra_flags: tuple[str, ...] = field(default=())
    debug_file: bool = False  # compile with DWARF for the unstripped copy (result.unstripped)

    def __post_init__(self) -> None:
        if not self.sources:
            raise CompileError("no C source given")
        if self.wasi and self.wasi not in WASI_FLAGS:
            raise CompileError(f"bad WASI kind {self.wasi!r} (reactor or command)")
        if self.opt not in ("-O0", "-O1", "-O2", "-O3", "-Os", "-Oz"):
            raise CompileError(f"bad optimisation level {self.opt!r} (use -Os, -Oz, -O2...)")
        if self.stack_size < 1024 or self.stack_size % 16:
            raise CompileError(f"stack size {self.stack_size}: must be a multiple of 16, "
                               f"at least 1024")
        if self.initial_memory < WASM_PAGE or self.initial_memory % WASM_PAGE:
            raise CompileError(f"initial memory {self.initial_memory}: must be a whole "
                               f"number of 64 KiB pages")
        if self.stack_size >= self.initial_memory:
            raise CompileError(f"stack size {self.stack_size} does not fit in initial memory "
                               f"{self.initial_memory}")


@dataclass(frozen=True)
class CompileResult:
    output: Path
    compiled_size: int   # as the linker wrote it
    size: int            # after strip (== compiled_size without strip)
    unstripped: bytes = b""  # as the linker wrote it: names and DWARF for trap reports


def zig_command() -> list[str]:
    """The C compiler: zig's clang, run from the ziglang wheel of this Python."""
    return [sys.executable, "-m", "ziglang", "cc"]


_zig_version_cache: list[str] = []


def zig_version() -> str:
    """zig's version string (raises CompileError when the ziglang wheel is missing)."""
    if not _zig_version_cache:
        proc = subprocess.run([sys.executable, "-m", "ziglang", "version"],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise CompileError("zig is not available: pip install ziglang "
                               f"({(proc.stderr.strip().splitlines() or ['?'])[-1]})")
        _zig_version_cache.append(proc.stdout.strip())
    return _zig_version_cache[0]


def compile_flags(opts: CompileOptions) -> list[str]:
    """The whole zig cc argument list except the sources and the output."""
    flags = [*(WASI_FLAGS[opts.wasi] if opts.wasi else FREESTANDING_FLAGS), *WARNING_FLAGS]
    if opts.werror:
        flags.append("-Werror")
    flags += [opts.opt, "-g" if opts.debug or opts.debug_file else "-g0"]
    flags += [f"-Wl,-z,stack-size={opts.stack_size}",
              f"-Wl,--initial-memory={opts.initial_memory}"]
    flags += [f"-Wl,--export={name}" for name in opts.exports]
    flags += [f"-D{d}" for d in opts.defines]
    for inc in (*opts.include_dirs, SDK_INCLUDE_DIR):
        flags += ["-I", str(inc)]
    flags += opts.extra_flags
    return flags


def compile_module(opts: CompileOptions) -> CompileResult:
    """Compile and link the sources into one wasm module at `opts.output` (then strip it).

    The output is written through a temporary file in the same folder, so a failed build
    never leaves a stale or half-written module behind."""
    for src in opts.sources:
        if not src.is_file():
            raise CompileError(f"{src}: no such C source")
    zig_version()
    out = opts.output
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wasmote-cc-") as private:
        tmp = Path(private) / out.name
        cmd = [*zig_command(), *compile_flags(opts), *map(str, opts.sources), "-o", str(tmp)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as e:
            raise CompileError(f"cannot run zig: {e}") from None
        if proc.returncode != 0:
            raise compiler_error("compile", proc.stderr)
        return finish_output(tmp, out, opts.strip)


def compiler_error(what: str, diagnostics: str) -> CompileError:
    """A compiler's failure as one line (its first error) with the whole text kept."""
    diag = diagnostics.strip()
    first = next((ln for ln in diag.splitlines() if "error" in ln.lower()),
                 diag.splitlines()[0] if diag else "no diagnostics")
    return CompileError(f"{what} failed: {first.strip()}", diag)


def finish_output(tmp: Path, out: Path, strip: bool) -> CompileResult:
    """Strips the compiler's output `tmp` (if asked) and moves it to `out`, keeping the
    unstripped bytes for the debug file."""
    data = raw = tmp.read_bytes()
    if strip:
        data = bytes(strip_bytes(data)[0])
        tmp.write_bytes(data)
    tmp.replace(out)
    return CompileResult(out, len(raw), len(data), raw)


def package_module(result: CompileResult, manifest: Manifest) -> BuildResult:
    """Check the compiled module against the manifest (imports granted, memory within
    limits.memory) and wrap both into an unsigned package."""
    return build_package(result.output.read_bytes(), manifest, source=str(result.output),
                         strip=False)


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename: a failure never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a package is not a secret
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
