"""Compile the generated C and link it into one position-independent code image.

The image is the linked `.text` of a static link (code, read-only data and the compiler's
runtime helpers from libgcc / compiler_rt), so a device needs no dynamic linker. It is
proved position independent by linking it at two base addresses and requiring identical
bytes: any absolute address in code or data would differ (docs/aot.md). Writable data
(.data/.bss, a GOT) is refused: all mutable state lives in the runtime's wm_aot_ctx.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wasmote.aot import stackcheck
from wasmote.aot.elf import Elf, ElfError
from wasmote.aot.targets import Compiler, Target, helper_paths, prelude_dir, zig_environment
from wasmote.errors import WasmoteError

COMMON_CFLAGS = (
    "-std=gnu99", "-O2", "-ffreestanding", "-fno-builtin", "-ffp-contract=off",
    "-fno-math-errno", "-fno-common", "-ffunction-sections", "-fdata-sections",
    "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-fno-exceptions",
    "-fno-stack-protector", "-fomit-frame-pointer", "-w",
    # wasm calls must use stack (unbounded recursion exhausts it, as in the interpreter)
    "-fno-optimize-sibling-calls",
)
# -fsignaling-nans: x * 1.0 must still quiet a signalling NaN (the spec's float_exprs).
# -fno-inline-functions-called-once: every wasm function is a static C function, so GCC
# would fold each one called once into its caller, often a whole program into one export's
# entry, and allocate registers over all its loops at once; the native build of the same C
# keeps those functions apart (they are extern there). In one huge function small changes
# (fuel checks or not) move spills into hot loops: edn without fuel was slower than with
# (M4: 4.32 M vs 4.28 M instructions; 3.77 M vs 4.12 M apart).
GCC_ONLY_CFLAGS = ("-fno-tree-loop-distribute-patterns", "-fsignaling-nans",
                   "-fno-inline-functions-called-once")
ZIG_ONLY_CFLAGS = ("-fno-sanitize=undefined",)

BASES = (0x0, 0x100000)  # two link addresses: the image must not depend on them
STACK_SLACK = 64         # bytes added to the largest measured frame (return address, etc.)

_LINKER_SCRIPT = """\
SECTIONS
{{
    . = {base:#x};
    .text : {{
        KEEP(*(.literal.wm_entry .text.wm_entry .literal.wm_entry.* .text.wm_entry.*))
        *(.literal .text .literal.* .text.*)
        *(.rodata .rodata.* .srodata .srodata.*)
    }}
    .wm_writable : {{
        *(.data .data.* .sdata .sdata.* .bss .bss.* .sbss .sbss.* COMMON)
        *(.got .got.* .plt .plt.* .igot .igot.* .iplt .tdata .tdata.* .tbss .tbss.*)
    }}
    /DISCARD/ : {{
        *(.comment) *(.note .note.*) *(.eh_frame .eh_frame_hdr .eh_frame.*)
        *(.ARM.exidx .ARM.exidx.* .ARM.extab .ARM.extab.* .ARM.attributes)
        *(.riscv.attributes) *(.xtensa.info) *(.stack_sizes) *(.gnu.attributes)
    }}
}}
"""


class AotBuildError(WasmoteError):
    """The C compiler or linker failed, or the image is not usable as AOT code."""

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output.strip()
        super().__init__(message)

    def one_line(self) -> str:
        first = next((ln.strip() for ln in self.output.splitlines()
                      if "error" in ln.lower()), "")
        return str(self) + (f": {first}" if first else "")


@dataclass(frozen=True)
class Image:
    code: bytes               # the position-independent image
    entries: dict[int, int]   # defined function index -> offset in code (Thumb bit kept)
    frame: int                # largest native stack frame, bytes
    align: int                # alignment the image was linked for


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None,
         retry: tuple[str, ...] = ()) -> None:
    """Runs a compiler or linker; `retry`: flags to run it once more with when a tool it
    drives dies of a signal (collect2 reports "terminated with signal")."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    except OSError as e:
        raise AotBuildError(f"{what}: cannot run {cmd[0]}: {e.strerror or e}") from None
    if proc.returncode != 0 and retry and "terminated with signal" in proc.stderr:
        return _run([*cmd[:1], *retry, *cmd[1:]], what, env)
    if proc.returncode != 0:
        raise AotBuildError(f"{what} failed", proc.stderr + proc.stdout)


def _frames_gcc(su_files: list[Path]) -> dict[str, int]:
    """Each function's frame from GCC's -fstack-usage (`file:line:col:name<TAB>bytes`)."""
    frames: dict[str, int] = {}
    for su in su_files:
        for line in su.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[1].strip().isdigit():
                name = parts[0].rsplit(":", 1)[-1]
                frames[name] = max(frames.get(name, 0), int(parts[1]))
    return frames


def _max_frame_stack_sizes(obj: Elf) -> int:
    """clang's .stack_sizes: (address, ULEB128 size) pairs."""
    best = 0
    addr = obj.bits // 8
    for sec in obj.sections:
        if sec.name != ".stack_sizes":
            continue
        data = obj.section_bytes(sec)
        i = 0
        while i + addr <= len(data):
            i += addr
            value = shift = 0
            while i < len(data):
                b = data[i]
                i += 1
                value |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            best = max(best, value)
    return best


def build_image(source: str, target: Target, compiler: Compiler, entries: tuple[int, ...],
                *, keep_dir: Path | None = None,
                unchecked: dict[int, frozenset[int]] | None = None) -> Image:
    """Compile `source` (translate.translate's output) and link the image for `target`;
    `unchecked`: the functions that call without a stack check and the leaves each calls
    (stackcheck.py)."""
    with tempfile.TemporaryDirectory(prefix="wasmote-aot-") as tmp:
        work = keep_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        c_file = work / "module.c"
        obj = work / "module.o"
        c_file.write_text(source)
        extra = GCC_ONLY_CFLAGS if compiler.family == "gcc" else ZIG_ONLY_CFLAGS
        env = zig_environment() if compiler.family == "zig" else None
        _run([*compiler.command, *compiler.flags, *COMMON_CFLAGS, *extra,
              compiler.stack_usage_flag, f"-I{prelude_dir()}", "-c", str(c_file),
              "-o", str(obj)], f"compiling the module for {target.name}", env)
        objects = [obj]
        for helper in helper_paths(target):
            objects.append(work / f"{helper.stem}.o")
            _run([*compiler.command, *compiler.flags, *COMMON_CFLAGS, *extra,
                  compiler.stack_usage_flag, f"-I{helper.parent}", "-c", str(helper),
                  "-o", str(objects[-1])], f"compiling {helper.name} for {target.name}", env)
        if compiler.family == "gcc":
            frame = stackcheck.frame_bound(_frames_gcc(sorted(work.glob("*.su"))),
                                           unchecked or {})
        else:
            # by address, not name: the chain's three frames bounded by the largest
            frame = _max_frame_stack_sizes(Elf(obj.read_bytes(), str(obj))) * \
                (3 if unchecked else 1)
        images = []
        for base in BASES:
            script = work / f"link-{base:x}.ld"
            script.write_text(_LINKER_SCRIPT.format(base=base))
            elf_path = work / f"module-{base:x}.elf"
            libs = ["-lgcc"] if compiler.family == "gcc" else []
            nostd = ["-nostdlib"] if compiler.family == "gcc" else ["-nostartfiles"]
            _run([*compiler.command, *compiler.link_flags, *nostd, "-static",
                  "-Wl,--gc-sections", "-Wl,--no-undefined", f"-Wl,-T,{script}",
                  *map(str, objects), *libs, "-o", str(elf_path)],
                 f"linking the module for {target.name}", env, target.link_retry)
            images.append(_extract(elf_path, base, entries, target))
    first, second = images
    if first != second:
        raise AotBuildError(f"the code for {target.name} is not position independent (it "
                            "differs when linked at another address): the compiler emitted "
                            "absolute addresses")
    code, offsets, align = first
    return Image(code, offsets, frame + STACK_SLACK, max(align, 8))


def _extract(path: Path, base: int, entries: tuple[int, ...],
             target: Target) -> tuple[bytes, dict[int, int], int]:
    try:
        elf = Elf(path.read_bytes(), str(path))
    except ElfError as e:
        raise AotBuildError(str(e)) from None
    text = elf.section(".text")
    if text is None or text.size == 0:
        if entries:
            raise AotBuildError(f"{path}: the link produced no code")
        return b"", {}, 8  # a module without functions
    if text.addr != base:
        raise AotBuildError(f"{path}: code linked at {text.addr:#x}, expected {base:#x}")
    writable = elf.section(".wm_writable")
    if writable is not None and writable.size:
        raise AotBuildError("the AOT code has writable static data (.data/.bss/GOT), which "
                            "cannot live in flash; this is a compiler-flag problem")
    syms = {s.name: s for s in elf.symbols()}
    offsets: dict[int, int] = {}
    for j in entries:
        sym = syms.get(f"wm_e{j}")
        if sym is None:
            raise AotBuildError(f"{path}: entry wm_e{j} missing after linking")
        off = sym.value - base
        if target.thumb and not off & 1:
            raise AotBuildError(f"{path}: entry wm_e{j} is not Thumb code")
        offsets[j] = off
    return elf.section_bytes(text), offsets, text.addralign


def pack_u32(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)
