"""Build the C runtime core and the posix port's programs with the system compiler.

The posix build is how the host runs the same core the devices run: the spec-suite
driver, `wasmote exec` and the benchmarks all use it. Builds land in
build/posix/<variant>/ and are cached by a hash of every source and header plus the
flags, so a change anywhere under firmware/ rebuilds and an unchanged tree costs one hash.

Also here: the freestanding Cortex-M4 build of the core, used only to report its size.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wasmote.build_desc import build_desc
from wasmote.errors import WasmoteError
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR


class BuildError(WasmoteError):
    """A compiler or linker failed; carries the tool's own message."""

    def __init__(self, what: str, output: str) -> None:
        self.what = what
        self.output = output.strip()
        super().__init__(f"{what} failed:\n{_clip(self.output)}")

    def one_line(self) -> str:
        first = next((ln for ln in self.output.splitlines() if "error" in ln),
                     self.output.splitlines()[0] if self.output else "")
        return f"{self.what} failed: {first.strip()}"


class ToolMissingError(WasmoteError):
    """A compiler the build needs is not installed."""


@dataclass(frozen=True)
class Variant:
    """One way of compiling the posix build."""

    name: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...] = ()


VARIANTS: dict[str, Variant] = {
    "release": Variant("release", ("-O2",)),
    # The release code with line tables, for callgrind_annotate / perf (bench --annotate).
    "profile": Variant("profile", ("-O2", "-g")),
    # -fno-sanitize-recover makes the first report fatal, so a test sees it as a crash.
    "asan": Variant(
        "asan",
        ("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
         "-fno-sanitize-recover=all"),
        ("-fsanitize=address,undefined",),
    ),
}


@dataclass(frozen=True)
class Program:
    """A posix program: its own sources (relative to firmware/) linked against the core."""

    name: str
    sources: tuple[str, ...]
    include_dirs: tuple[str, ...] = ()


PROGRAMS: dict[str, Program] = {
    "wasmote-spec": Program(
        "wasmote-spec",
        ("src/testing/spec_driver.c", "src/testing/spec_aot.c", "src/port/posix/spec_main.c"),
        ("src/testing",),
    ),
}

# The pre-decoded interpreter (docs/predecoded.md), as in the QEMU images (platformio.ini's
# [qemu] build_flags): every host build of the device C has it (posix, the fuzzers).
POSIX_DEFINES = ("-DWM_PREDECODE=1",)

CORE_DIR = FIRMWARE_DIR / "src" / "core"
INCLUDE_DIR = FIRMWARE_DIR / "include"


def core_sources() -> list[Path]:
    """Every C source of the core's components (firmware/build.json lists them)."""
    return build_desc().core_sources(".c")


def core_asm_sources() -> list[Path]:
    """Assembly of the core (aot/arch/*.S: each file assembles only for its architecture)."""
    return build_desc().core_sources(".S")


def _headers(program: Program | None = None) -> list[Path]:
    """The headers a build may read: the firmware's, and those of the program's own include
    folders (a test's, outside firmware/), so editing one rebuilds."""
    found = set(INCLUDE_DIR.rglob("*.h")) | set((FIRMWARE_DIR / "src").rglob("*.h"))
    if program is not None:
        for d in program.include_dirs:
            found |= set((FIRMWARE_DIR / d).rglob("*.h"))
    return sorted(found)


def _include_flags(program: Program | None) -> list[str]:
    flags = build_desc().include_flags()
    if program is not None:
        flags += [f"-I{FIRMWARE_DIR / d}" for d in program.include_dirs]
    return flags


def _compiler(cc: str | None) -> str:
    name = cc or os.environ.get("CC", "cc")
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(f"C compiler '{name}' not found (install gcc or set CC)")
    return path


def _hash_inputs(parts: Sequence[str], files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    for f in files:
        h.update(_rel(f).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise builds of one output folder across processes (tests, exec, bench)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(cmd: Sequence[str], what: str) -> str:
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    except OSError as e:
        raise ToolMissingError(f"cannot run {cmd[0]}: {e.strerror or e}") from e
    if proc.returncode != 0:
        raise BuildError(what, proc.stderr + proc.stdout)
    return proc.stdout


def _rel(path: Path) -> str:
    """Path relative to the repo when inside it (short messages), else absolute."""
    try:
        return str(path.relative_to(FIRMWARE_DIR.parent))
    except ValueError:
        return str(path)


def _object_name(src: Path) -> str:
    return _rel(src).strip("/").replace("/", "__").removesuffix(".c").removesuffix(".S") + ".o"


def _compile_all(cmds: list[tuple[list[str], str]]) -> None:
    workers = max(1, min(len(cmds), os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for fut in [pool.submit(_run, cmd, what) for cmd, what in cmds]:
            fut.result()


def compile_flags(variant: Variant, program: Program | None = None) -> list[str]:
    """The flags the posix build compiles with: the build description's (-std, warnings,
    defines, include path), the variant's, the program's own include folders."""
    return [*build_desc().common_flags(), *POSIX_DEFINES, *variant.cflags,
            *_include_flags(program)]


def build_dir(variant: str) -> Path:
    return BUILD_DIR / "posix" / variant


def build_program(program: str | Program = "wasmote-spec", variant: str = "release", *,
                  cc: str | None = None, force: bool = False) -> Path:
    """Compile the core + `program` for `variant`; returns the executable (cached).

    `program` names one of PROGRAMS or is a Program (its sources may be absolute paths,
    e.g. a test's own main)."""
    if variant not in VARIANTS:
        raise WasmoteError(f"unknown posix build variant '{variant}' "
                           f"(known: {', '.join(VARIANTS)})")
    if isinstance(program, str):
        if program not in PROGRAMS:
            raise WasmoteError(f"unknown posix program '{program}' "
                               f"(known: {', '.join(PROGRAMS)})")
        prog = PROGRAMS[program]
    else:
        prog = program
    program = prog.name
    var = VARIANTS[variant]
    compiler = _compiler(cc)
    core = core_sources() + core_asm_sources()
    if not core:
        raise BuildError("posix build", f"no core sources under {CORE_DIR}")
    own = [FIRMWARE_DIR / s for s in prog.sources]
    for s in own:
        if not s.is_file():
            raise BuildError("posix build", f"missing program source {s}")
    cflags = compile_flags(var, prog)
    out_dir = build_dir(variant)
    exe = out_dir / program
    key = _hash_inputs([compiler, *cflags, *var.ldflags], [*core, *own, *_headers(prog)])
    stamp = out_dir / f"{program}.stamp"
    with _locked(out_dir):
        if not force and exe.is_file() and stamp.is_file() and stamp.read_text() == key:
            return exe
        obj_dir = out_dir / "obj" / program
        if obj_dir.exists():
            shutil.rmtree(obj_dir)
        obj_dir.mkdir(parents=True)
        objs = {src: obj_dir / _object_name(src) for src in [*core, *own]}
        _compile_all([([compiler, *cflags, "-c", str(src), "-o", str(obj)],
                       f"compiling {_rel(src)}")
                      for src, obj in objs.items()])
        # The core goes into an archive so components a program doesn't use aren't linked.
        lib = obj_dir / "libwasmote_core.a"
        _run(["ar", "rcs", str(lib), *(str(objs[s]) for s in core)], "archiving the core")
        tmp = exe.with_suffix(".tmp")
        _run([compiler, *var.cflags, *var.ldflags, *(str(objs[s]) for s in own), str(lib),
              "-o", str(tmp)], f"linking {program}")
        tmp.replace(exe)
        stamp.write_text(key)
    return exe


@dataclass(frozen=True)
class ObjectSize:
    """`arm-none-eabi-size` of one object file (Berkeley format)."""

    name: str
    text: int
    data: int
    bss: int


@dataclass(frozen=True)
class SizeReport:
    """Flash/RAM footprint of the core built for a Cortex-M4."""

    flags: tuple[str, ...]
    objects: tuple[ObjectSize, ...]

    @property
    def text(self) -> int:
        return sum(o.text for o in self.objects)

    @property
    def data(self) -> int:
        return sum(o.data for o in self.objects)

    @property
    def bss(self) -> int:
        return sum(o.bss for o in self.objects)


ARM_CPU = ("-mcpu=cortex-m4", "-mthumb")


def arm_flags() -> list[str]:
    """The Cortex-M4 size build's flags: the build description's target flags."""
    return [*build_desc().target_flags(), *ARM_CPU]


def arm_core_size(components: Sequence[str] | None = None) -> SizeReport:
    """Compile the core freestanding for Cortex-M4 (-Os) and measure it per object.

    `components` limits it to some folders under src/core (default: all). Sizes are of
    the objects before linking, i.e. an upper bound of what a firmware image carries.
    """
    gcc = shutil.which("arm-none-eabi-gcc")
    size = shutil.which("arm-none-eabi-size")
    if gcc is None or size is None:
        raise ToolMissingError("arm-none-eabi-gcc/arm-none-eabi-size not found "
                               "(apt-get install gcc-arm-none-eabi)")
    sources = [s for s in core_sources()
               if components is None or s.relative_to(CORE_DIR).parts[0] in components]
    if not sources:
        raise BuildError("cortex-m4 build", f"no core sources under {CORE_DIR}")
    flags = [*arm_flags(), *_include_flags(None)]
    out_dir = BUILD_DIR / "cortex-m4-size"
    with _locked(out_dir):
        objs = [out_dir / _object_name(s) for s in sources]
        _compile_all([([gcc, *flags, "-c", str(s), "-o", str(o)],
                       f"compiling {_rel(s)} for cortex-m4")
                      for s, o in zip(sources, objs, strict=True)])
        out = _run([size, *(str(o) for o in objs)], "arm-none-eabi-size")
    rows = []
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 6:
            rows.append(ObjectSize(Path(f[5]).name, int(f[0]), int(f[1]), int(f[2])))
    return SizeReport(tuple(flags), tuple(rows))


_SIZE_ENTRY = r"""
/* Generated by posix_build.arm_linked_size: an application that reaches the core's API through
 * the spec driver, so --gc-sections keeps what a real firmware would keep. */
#include "spec_driver.h"
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *o = d;
    const unsigned char *i = s;
    while (n--) *o++ = *i++;
    return d;
}
void *memset(void *d, int c, size_t n)
{
    unsigned char *o = d;
    while (n--) *o++ = (unsigned char)c;
    return d;
}
static long rl(void *c, char *b, size_t n) { (void)c; (void)b; (void)n; return -1; }
static void wr(void *c, const char *d, size_t n) { (void)c; (void)d; (void)n; }
static unsigned char mem[4096];
static char line[256];
void wm_size_entry(void);
void wm_size_entry(void)
{
    wm_spec_driver d;
    wm_sd_io io = {0, rl, wr, wm_sd_hex_module_bytes};
    if (wm_sd_init(&d, &io, mem, sizeof mem) == WM_OK)
        wm_sd_run(&d, line, sizeof line);
}
"""


@dataclass(frozen=True)
class LinkedSize:
    """A Cortex-M4 image of the runtime with an application (the spec driver) linked with
    --gc-sections and libgcc (soft-float and 64-bit division helpers included)."""

    text: int
    data: int
    bss: int
    driver_text: int  # the spec driver's share of text (not part of the runtime)
    app_bss: int      # the stub application's buffers (not part of the runtime)

    @property
    def runtime_flash(self) -> int:
        return self.text + self.data - self.driver_text


def arm_linked_size() -> LinkedSize:
    """Links runtime/ (with base/) + the spec driver for Cortex-M4 (-Os, gc-sections, -lgcc)
    and sizes it."""
    gcc = shutil.which("arm-none-eabi-gcc")
    size = shutil.which("arm-none-eabi-size")
    if gcc is None or size is None:
        raise ToolMissingError("arm-none-eabi-gcc/arm-none-eabi-size not found "
                               "(apt-get install gcc-arm-none-eabi)")
    runtime = [*sorted((CORE_DIR / "base").glob("*.c")),  # the layer the runtime stands on
               *sorted((CORE_DIR / "runtime").glob("*.c"))]
    driver = FIRMWARE_DIR / "src" / "testing" / "spec_driver.c"
    out_dir = BUILD_DIR / "cortex-m4-size"
    flags = [*arm_flags(), *_include_flags(None), f"-I{driver.parent}"]
    with _locked(out_dir):
        entry = out_dir / "size_entry.c"
        entry.write_text(_SIZE_ENTRY)
        elf = out_dir / "runtime-linked.elf"
        _run([gcc, *flags, "-nostdlib", "-Wl,--gc-sections", "-Wl,--entry=wm_size_entry",
              *(str(s) for s in runtime), str(driver), str(entry), "-lgcc", "-o", str(elf)],
             "linking the runtime for cortex-m4")
        drv_obj = out_dir / "spec_driver_only.o"
        _run([gcc, *flags, "-c", str(driver), "-o", str(drv_obj)], "compiling the driver")
        out = _run([size, str(elf), str(drv_obj)], "arm-none-eabi-size")
    rows = [ln.split() for ln in out.splitlines()[1:]]
    return LinkedSize(int(rows[0][0]), int(rows[0][1]), int(rows[0][2]), int(rows[1][0]),
                      4096 + 256)


def _clip(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[:limit] + "\n[... compiler output clipped]"
