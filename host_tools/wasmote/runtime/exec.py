"""`wasmote exec`: run a module or a package on this computer as the device runs it.

The engine is the firmware's own device side built for this host (runtime/host_device.py):
the same sandbox, host API, WASI subset, grants and limits as on a board. A package runs
under its manifest. A bare module runs under the manifest an unprovisioned device gives
one (`wasmote push app.wasm`): named after the file, granted log, time, sleep and random,
default limits (and the default kv quota, 1 KiB, with `kv`); its memory limit is what it
declares plus 1 MiB to grow into (libc's heap:
a desktop toolchain's defaults then run here, and a note says what a device needs).
`caps`, `memory`, `env` and the program arguments change that. More modules may run
beside it (`others`: started first, e.g. pub/sub partners); the run ends when the first
one does.

Exit codes (`wasmote exec --help`): the module's own status when it calls WASI proc_exit,
else 0 ok; 1 the module cannot be loaded, linked or instantiated (or bad usage); 2 it
trapped; 3 the fuel budget ran out; 124 the time limit passed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wasmote.aot.blob import ABI_VERSION as AOT_ABI_VERSION
from wasmote.aot.targets import get_target
from wasmote.debug.files import debug_path_for
from wasmote.debug.symbols import DebugInfo, DebugMismatch, describe
from wasmote.debug.trace import TrapReport, parse_trap
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError, DeviceRefused
from wasmote.errors import UsageError, WasmoteError
from wasmote.package.build import memory_advice, module_func_imports
from wasmote.package.capabilities import (
    CapKind,
    check_imports,
    denied_imports,
    parse_capabilities,
)
from wasmote.package.container import Package, is_package, parse_package
from wasmote.package.errors import CapabilityError, ManifestError
from wasmote.package.manifest import DEFAULT_KV_BYTES, Limits, Manifest, Version
from wasmote.runtime.host_device import HostDevice
from wasmote.runtime.values import Value, parse_user_value
from wasmote.wasm.errors import WasmError
from wasmote.wasm.files import module_from_bytes, read_file_bytes
from wasmote.wasm.module import KIND_FUNC, Module
from wasmote.wasm.strip import drop_custom_sections

# What an unprovisioned device grants a bare module (sandbox.c, decide()).
DEFAULT_CAPS = ("log", "time", "sleep", "random")
WASM_PAGE = 65536
GROW_ROOM = 1 << 20         # memory a bare module may grow into beyond what it declares
DEVICE_DEFAULT_MEMORY = 65536  # limits.memory of a manifest that says nothing
EXIT_TIMEOUT = 124
_NAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_EXIT_RE = re.compile(r"^exit status (\d+)$")


class ModuleLoadError(WasmoteError):
    """The loader or validator rejected the module; says where."""

    exit_code = 1
    has_location = True

    def __init__(self, path: Path, offset: int, message: str) -> None:
        self.path = path
        self.offset = offset
        self.message = message
        super().__init__(f"{path}:0x{offset:x}: {message}")


class InstantiateError(WasmoteError):
    """The module is valid but cannot be linked or instantiated (imports, memory)."""

    exit_code = 1


class Trap(WasmoteError):
    """The module trapped: `reason` is the runtime's message, `frames` its wasm call stack,
    `where` the same with names and source lines when debug info was at hand."""

    exit_code = 2

    def __init__(self, report: TrapReport, where: str | None = None) -> None:
        self.report = report
        self.reason = report.reason
        self.frames = report.frames
        self.where = where if where is not None else describe(report, None)
        super().__init__(f"trap: {self.where}")


class OutOfFuel(WasmoteError):
    """The fuel budget ran out before the call returned."""

    exit_code = 3

    def __init__(self, fuel: int) -> None:
        self.fuel = fuel
        super().__init__(f"out of fuel: the budget of {fuel} units ran out before the call "
                         "returned (raise --fuel, or omit it to run without a budget)")


@dataclass(frozen=True)
class ExecRequest:
    module: Path
    export: str | None = None          # None: run its entry (manifest's, else _start)
    args: tuple[str, ...] = ()         # the export's arguments, or else the program's (argv)
    fuel: int | None = None            # budget of an --invoke call; None = unlimited
    variant: str = "release"
    others: tuple[Path, ...] = ()      # modules started beside it, before it
    caps: tuple[str, ...] | None = None  # a bare module's grants (None: DEFAULT_CAPS)
    env: tuple[tuple[str, str], ...] = ()  # a bare module's environment
    memory: int | None = None          # a bare module's limits.memory
    kv_dir: Path | None = None         # keeps the modules' kv data (None: temporary)
    timeout: float | None = None       # seconds before the run is stopped
    debug: Path | None = None          # unstripped module of a package (default: beside it)
    in_place: bool = False             # run the code itself, not its pre-decoded form


@dataclass
class ExecResult:
    name: str
    values: list[Value] = field(default_factory=list)
    exit_status: int | None = None     # from proc_exit; None when the entry/export returned
    trap: Trap | None = None
    timed_out: bool = False
    stdout: bytes = b""                # of the first module, exactly as written
    stderr: bytes = b""
    logs: list[str] = field(default_factory=list)   # "module: line" of every module
    gpio: list[str] = field(default_factory=list)   # simulated output pins that changed
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.trap is not None:
            return Trap.exit_code
        if self.timed_out:
            return EXIT_TIMEOUT
        return self.exit_status or 0


# What the caller sees while it runs: (module, is_stderr, bytes) and (module, log line).
OutputFn = Callable[[str, bool, bytes], None]
LogFn = Callable[[str, str], None]


@dataclass
class Loaded:
    """A module ready to push: the package and what symbolizes its traps."""

    path: Path
    name: str
    image: bytes          # what is pushed: a package
    module: bytes         # the wasm module in it (what runs)
    parsed: Module
    debug: bytes | None   # the unstripped module, when at hand


def _bare_name(path: Path) -> str:
    name = _NAME_BAD.sub("_", path.stem)[:31] or "module"
    return name if name[0].isalnum() else "m" + name[:30]


def _load(path: Path, req: ExecRequest, main: bool, notes: list[str]) -> Loaded:
    data = read_file_bytes(path)
    if is_package(data):
        pkg = parse_package(data, str(path))
        bare_opts = req.caps is not None or req.env or req.memory is not None or \
            (main and req.export is None and req.args)
        if bare_opts:
            raise UsageError(f"{path}: a package runs under its own manifest (capabilities, "
                             "limits, args, env); --cap, --memory, --env and program "
                             "arguments are for bare modules")
        debug_file = req.debug if main and req.debug else debug_path_for(path)
        debug = read_file_bytes(debug_file) if debug_file.is_file() else None
        _aot_notes(path, pkg, notes)
        return Loaded(path, pkg.manifest.name[:31], data, pkg.module,
                       _module(path, pkg.module), debug)
    parsed = _module(path, data)
    caps = parse_capabilities(req.caps if req.caps is not None else DEFAULT_CAPS)
    declared = max((m.limits.min * WASM_PAGE for m in parsed.mem_types()), default=0)
    memory = req.memory if req.memory is not None else max(WASM_PAGE, declared + GROW_ROOM)
    if declared > DEVICE_DEFAULT_MEMORY and req.memory is None:
        notes.append(f"{path.name}: it starts with {declared // WASM_PAGE} pages of memory, "
                     f"more than a device gives a module by default ("
                     f"{DEVICE_DEFAULT_MEMORY // 1024} KiB): "
                     f"{memory_advice(declared // WASM_PAGE)}")
    try:
        kv = DEFAULT_KV_BYTES if any(c.kind == CapKind.KV for c in caps) else 0
        manifest = Manifest(name=_bare_name(path), version=Version(0, 0, 0),
                            capabilities=caps, limits=Limits(memory_bytes=memory,
                                                             kv_bytes=kv),
                            args=tuple(req.args) if main and req.export is None else (),
                            env=tuple(req.env) if main else ())
        check_imports(module_func_imports(parsed), caps)
    except (CapabilityError, ManifestError) as e:
        raise InstantiateError(f"{path}: cannot instantiate: {e}") from None
    if declared > memory:
        raise InstantiateError(f"{path}: cannot instantiate: the module starts with "
                               f"{declared // WASM_PAGE} memory pages ({declared} bytes) but "
                               f"--memory is {memory}")
    # names and DWARF stay here for the trap report; the device needs none of them
    runs = drop_custom_sections(data)
    image = Package(manifest=manifest, module=runs).to_bytes()
    return Loaded(path, manifest.name, image, runs, parsed, data)


def _aot_notes(path: Path, pkg: Package, notes: list[str]) -> None:
    """What the posix device does with the package's native code for this host."""
    try:
        arch = get_target("host").arch
    except WasmoteError:
        return
    for a in pkg.aot:
        if a.arch == arch and a.abi_version != AOT_ABI_VERSION:
            notes.append(f"{path}: AOT code ignored: ABI version {a.abi_version}, this "
                         f"runtime runs {AOT_ABI_VERSION} (interpreted instead)")


def _module(path: Path, data: bytes) -> Module:
    try:
        return module_from_bytes(data, path)
    except WasmError as e:
        raise ModuleLoadError(path, e.offset, e.message) from None


def _symbolize(report: TrapReport, mod: Loaded, notes: list[str]) -> Trap:
    """The trap with names and lines from the debug file (else the module that ran: its
    names if it kept them, and offsets within functions)."""
    info = None
    if report.frames:
        try:
            info = DebugInfo(mod.debug if mod.debug is not None else mod.module, mod.module)
        except DebugMismatch as e:
            notes.append(f"{mod.path}: {e}")
        except (WasmoteError, WasmError) as e:
            notes.append(f"{mod.path}: debug info unusable: {e}")
    return Trap(report, describe(report, info))


def prepare(req: ExecRequest) -> tuple[list[Loaded], list[str]]:
    """Reads and checks `req.module` and `req.others` and packages bare ones: the modules to
    push, the first the one that runs; and notes for the user."""
    if req.fuel is not None and req.fuel <= 0:
        raise WasmoteError("--fuel must be a positive number of units")
    notes: list[str] = []
    mods = [_load(req.module, req, True, notes),
            *(_load(o, req, False, notes) for o in req.others)]
    names = [m.name for m in mods]
    if len(set(names)) != len(names):
        raise UsageError(f"two modules are named {next(n for n in names if names.count(n) > 1)}"
                         " (a package's manifest name, else the file name)")
    for m in mods:
        caps = parse_package(m.image).manifest.capabilities
        for d in denied_imports(module_func_imports(m.parsed), caps):
            notes.append(f"{m.name}: {d} is not granted: it answers ENOTCAPABLE")
    return mods, notes


def exec_module(req: ExecRequest, on_output: OutputFn | None = None,
                on_log: LogFn | None = None) -> ExecResult:
    """Runs `req.module` (and `req.others` beside it) on the posix device; see the module
    docstring. Raises ModuleLoadError, InstantiateError, OutOfFuel or WasmoteError for
    what stops it before or instead of a result; a trap is in the result."""
    mods, notes = prepare(req)
    try:
        with HostDevice([m.image for m in mods], kv_dir=req.kv_dir, run_fuel=req.fuel,
                        variant=req.variant, in_place=req.in_place) as dev:
            res = run_prepared(dev.client, mods, req, on_output, on_log)
            res.gpio = dev.gpio_changes()
    except DeviceRefused:
        raise
    except DeviceError as e:
        # The runtime must refuse or trap, never crash: if it did, say so plainly.
        raise WasmoteError(f"{req.module}: the runtime failed (a wasmote bug, please report "
                           f"it with this module): {e}") from e
    res.notes[:0] = notes
    return res


def run_prepared(c: DeviceClient, mods: list[Loaded], req: ExecRequest,
                 on_output: OutputFn | None = None, on_log: LogFn | None = None,
                 remove: bool = False) -> ExecResult:
    """Pushes `mods` to the device behind `c` (the posix device, or a board), starts the
    others, runs the first (its export with req.args, or its entry) and collects what it
    did. `remove`: take them off the device afterwards (a board's store is small)."""
    values = [parse_user_value(a) for a in req.args] if req.export is not None else []
    res = ExecResult(mods[0].name)
    try:
        _run(c, req, mods, values, res, on_output, on_log)
    finally:
        c.on_event = None
        if remove:
            for m in mods:
                try:
                    c.remove(m.name)
                except DeviceRefused:
                    pass  # never pushed (refused), or already gone
    return res


def _run(c: DeviceClient, req: ExecRequest, mods: list[Loaded], values: list[Value],
         res: ExecResult, on_output: OutputFn | None, on_log: LogFn | None) -> None:
    main = mods[0]
    ended: list[p.Event] = []

    def event(ev: p.Event) -> None:
        c.events.clear()  # handled here; the client's queue only bounds memory
        if ev.kind == p.Msg.EV_OUTPUT:
            data = ev.output_bytes()
            if ev.module == main.name:
                if ev.stderr:
                    res.stderr += data
                else:
                    res.stdout += data
            if on_output is not None:
                on_output(ev.module, ev.stderr, data)
        elif ev.kind == p.Msg.EV_LOG:
            if ended and ev.module == main.name and ev.text == ended[0].text:
                return  # the supervisor logs its exit/trap line too: shown once, by the caller
            res.logs.append(f"{ev.module}: {ev.text}")
            if on_log is not None:
                on_log(ev.module, ev.text)
        elif ev.kind in (p.Msg.EV_EXIT, p.Msg.EV_TRAP) and ev.module == main.name:
            ended.append(ev)

    c.on_event = event
    for m in mods:
        try:
            c.push(m.name, m.image, autostart=False)
        except DeviceRefused as e:
            raise InstantiateError(f"{m.path}: cannot instantiate: {e.message}") from None
    for m in mods[1:]:
        _start(c, m)
    deadline = None if req.timeout is None else time.monotonic() + req.timeout
    if req.export is not None:
        wire = []
        for v in values:
            if v.type not in p.VALUE_CODES or v.bits is None:
                raise UsageError(f"{v.type} arguments cannot be passed to a module")
            wire.append(p.WireValue(v.type, v.bits))
        try:
            out = c.run(main.name, req.export, wire, timeout=req.timeout or 1e9)
            res.values = [Value(r.type, r.bits) for r in out]
        except DeviceRefused as e:
            _run_refused(e, req, main, res)
        return
    _start(c, main)
    while not ended:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            res.timed_out = True
            res.notes.append(f"{main.name}: stopped after the time limit of {req.timeout:g} s")
            return
        c.receive(0.2 if left is None else min(0.2, left))
    ev = ended[0]
    text = ev.text
    if ev.kind == p.Msg.EV_TRAP:
        res.trap = _symbolize(parse_trap(text.removeprefix("trap: ")), main, res.notes)
    elif (status := _EXIT_RE.match(text)) is not None:
        res.exit_status = int(status.group(1))
    elif text != "exit":
        raise WasmoteError(f"{main.name}: {text}")


def _start(c: DeviceClient, m: Loaded) -> None:
    try:
        c.start(m.name)
    except DeviceRefused as e:
        if e.status == p.Status.TRAP:  # its start function trapped at instantiation
            raise Trap(parse_trap(e.message)) from None
        raise WasmoteError(f"{m.path}: {e.message}") from None


def _run_refused(e: DeviceRefused, req: ExecRequest, main: Loaded, res: ExecResult) -> None:
    if e.status == p.Status.EXITED and (m := _EXIT_RE.match(e.message)) is not None:
        res.exit_status = int(m.group(1))
    elif e.status == p.Status.TRAP and e.message.startswith("out of fuel (the call ran"):
        raise OutOfFuel(req.fuel or 0)
    elif e.status == p.Status.TRAP:
        res.trap = _symbolize(parse_trap(e.message), main, res.notes)
    elif e.status == p.Status.NOT_FOUND:
        funcs = [x.name for x in main.parsed.exports if x.kind == KIND_FUNC]
        raise WasmoteError(f"{main.path}: no exported function '{req.export}' "
                           f"(exported functions: {', '.join(funcs) or 'none'})")
    elif e.status == p.Status.BAD_ARGS:
        raise WasmoteError(f"{req.export}: wrong arguments "
                           f"({' '.join(req.args) or 'none'}): {e.message}")
    else:
        raise InstantiateError(f"{main.path}: cannot instantiate: {e.message}")


def run_export(req: ExecRequest) -> list[Value]:
    """Calls one export and returns its results; a trap raises Trap (for tests and tools
    that only want the values)."""
    if req.export is None:
        raise UsageError("run_export needs an export to call")
    res = exec_module(req)
    if res.trap is not None:
        raise res.trap
    if res.exit_status is not None:
        raise WasmoteError(f"{req.export}: the module exited with status {res.exit_status}")
    return res.values


