"""Device commands over a serial line: info, push, ls, run, start, stop, rm, logs, reset,
provision."""

from __future__ import annotations

import dataclasses
import functools
import io
import operator
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from wasmote.cli import main
from wasmote.cli.output import emit_json, escape, event_line, json_option
from wasmote.cli.terminal import StreamPrinter, end_open_line
from wasmote.debug.locate import find_debug_info, symbolize_text
from wasmote.device import preflight
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient, manifest_autostart
from wasmote.device.errors import DeviceRefused, LinkError
from wasmote.device.ports import parse_port
from wasmote.device.relay import open_line
from wasmote.errors import UsageError
from wasmote.package.container import is_package, parse_package
from wasmote.package.keys import key_id, load_private_key, load_public_key
from wasmote.runtime.values import Value, parse_user_value
from wasmote.wasm.files import module_from_bytes, read_file_bytes

F = TypeVar("F", bound=Callable[..., Any])
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,31}$")


def _link_options(f: F) -> F:
    f = click.option("--timeout", type=click.FloatRange(min=0.1), default=2.0,
                     show_default=True, envvar="WASMOTE_TIMEOUT",
                     help="Seconds to wait for each answer [env WASMOTE_TIMEOUT].")(f)
    f = click.option("-b", "--baud", type=click.IntRange(min=300), default=115200,
                     show_default=True, envvar="WASMOTE_BAUD",
                     help="Serial line speed [env WASMOTE_BAUD].")(f)
    f = click.option("-p", "--port", default="auto", show_default=True, envvar="WASMOTE_PORT",
                     help="Serial device, socket://HOST:PORT, a sim's TCP port number, or "
                          "'auto' (the only USB serial device) [env WASMOTE_PORT].")(f)
    return f


def _key_option(f: F) -> F:
    return click.option(
        "--key", "-k", "key", type=click.Path(dir_okay=False, path_type=Path),
        envvar="WASMOTE_KEY", show_envvar=True,
        help="Private key with the operate role (admin for provision): a provisioned device "
             "accepts management requests only with a token signed by it [env WASMOTE_KEY].")(f)


@contextmanager
def _client(port: str, baud: int, timeout: float,
            key: Path | None = None) -> Iterator[DeviceClient]:
    """A client on the port's line, through the relay every command of that port shares;
    with `key` it signs a token for each management request of a provisioned device."""
    private = load_private_key(key) if key is not None else None  # a bad key fails first
    t = open_line(parse_port(port), baud)
    try:
        yield DeviceClient(t, timeout=timeout, key=private)
    finally:
        t.close()


# A subscription lasts this long; a follower renews it at half of it.
_SUBSCRIPTION_S = 60


def _follow_events(c: DeviceClient) -> Iterator[p.Event | None]:
    """Subscribes now (a provisioned device sends module output only to a subscriber),
    then yields events as they come (None every second without one), renewing."""
    c.subscribe(_SUBSCRIPTION_S)
    return _events(c, time.monotonic())


def _events(c: DeviceClient, renewed: float) -> Iterator[p.Event | None]:
    while True:
        if time.monotonic() - renewed > _SUBSCRIPTION_S / 2:
            c.subscribe(_SUBSCRIPTION_S)
            renewed = time.monotonic()
        yield c.wait_event(1.0)


def _debug_option(f: F) -> F:
    return click.option("--debug", "debug_places", multiple=True,
                        type=click.Path(exists=True, path_type=Path),
                        help="Where the module's package and its NAME.debug.wasm are (a "
                             "folder or file; repeatable; default: the current folder), "
                             "to name the source of a trap.")(f)


class _Symbolizer:
    """Trap texts of the device's modules with names and lines, when the package a module
    was pushed from (matched by its hash) has its debug file at hand."""

    def __init__(self, c: DeviceClient, places: tuple[Path, ...]) -> None:
        self.c = c
        self.places = places or (Path("."),)
        self._hashes: dict[str, bytes] | None = None

    def trap(self, module: str, text: str) -> str:
        if self._hashes is None:
            self._hashes = {m.name: m.sha256 for m in self.c.modules()}
        sha = self._hashes.get(module)
        info = find_debug_info(sha, self.places) if sha is not None else None
        return symbolize_text(text, info)


def _echo_output(printer: StreamPrinter, ev: p.Event) -> None:
    click.echo(printer.text(ev.module, ev.stderr, ev.output_bytes()), nl=False, err=ev.stderr)


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} MiB"


@main.command("info")
@json_option
@_link_options
def info_cmd(as_json: bool, port: str, baud: int, timeout: float) -> None:
    """Show the device's firmware, protocol version, memory and module store."""
    with _client(port, baud, timeout) as c:
        i = c.info()
    if as_json:
        emit_json({**dataclasses.asdict(i), "features": i.feature_names(),
                   "reset_cause": i.reset_cause_name, "device_id": i.device_id.hex(),
                   "random": i.random_kind_name})
        return
    click.echo(f"firmware:  {escape(i.firmware_version)}")
    click.echo(f"board:     {escape(i.board)}")
    click.echo(f"protocol:  {i.protocol_version} (max frame {i.max_frame} B, "
               f"chunk {i.max_chunk} B, window {i.window})")
    click.echo(f"free RAM:  {_human(i.free_ram)}")
    click.echo(f"store:     {_human(i.store_free)} free of {_human(i.store_capacity)}, "
               f"{i.modules} module(s)")
    click.echo(f"features:  {', '.join(i.feature_names()) or 'none'}")
    if i.features & p.FEAT_SANDBOX:
        keys = f"{i.keys} key(s), changed {i.key_counter} time(s)" if i.keys else \
            "unprovisioned"
        click.echo(f"keys:      {keys}")
        click.echo(f"modules:   {i.running} running, {i.slots} slots")
        click.echo(f"boots:     {i.boots} (last reset: {i.reset_cause_name})")
        if i.device_id:
            click.echo(f"device id: {i.device_id.hex()} (random: {i.random_kind_name})")
        if i.notes:
            click.echo(f"notes:     {escape(i.notes)}")


@main.command("push")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", help="Module name on the device for a bare module (default: the "
                             "file's stem); a package is installed under its manifest name.")
@click.option("--autostart", is_flag=True,
              help="Start the module now and at every boot (a package's manifest can say "
                   "so too).")
@click.option("--no-host-check", is_flag=True,
              help="Skip validating FILE on the host first (the device validates anyway).")
@click.option("--force", is_flag=True,
              help="Push even if the device already holds this exact module.")
@_link_options
@_key_option
def push_cmd(file: Path, name: str | None, autostart: bool, no_host_check: bool, force: bool,
             port: str, baud: int, timeout: float, key: Path | None) -> None:
    """Install FILE on the device (replacing a module of the same name atomically).

    An interrupted push resumes where it stopped when run again with the same file. A
    module the device already holds byte for byte (same name, hash and autostart) is not
    sent again. A package the device would refuse anyway (unsigned on a provisioned
    device, a memory limit beyond the device's module RAM) is refused before upload.

    \b
    Examples:
      wasmote push hello.wmp -p 4321
      wasmote push filter.wasm --name filter --autostart -p /dev/ttyUSB0
    """
    data = read_file_bytes(file)
    flags_autostart = autostart
    pkg = None
    if is_package(data) and no_host_check:
        name = name or file.stem
    elif is_package(data):
        pkg = parse_package(data, str(file))  # a bad package fails here with FILE:0xOFFSET
        if name is not None and name != pkg.manifest.name:
            # its key-value data, version pin and crash count go by that one name
            raise UsageError(f"{file}: the package is named '{pkg.manifest.name}' in its "
                             f"manifest; a device installs a package only under its own "
                             f"name (drop --name {name})")
        name = pkg.manifest.name
        flags_autostart = autostart or pkg.manifest.autostart
    elif data[:4] == b"\0asm":
        if not no_host_check:
            module_from_bytes(data, file)  # a bad module fails here with FILE:0xOFFSET: why
        name = name or file.stem
    else:
        raise UsageError(f"{file}: not a wasm module (\\0asm) or a package (\\0wmp)")
    if not _NAME_RE.match(name):
        raise UsageError(f"module name '{name}' must be 1-31 characters of A-Z a-z 0-9 . _ - "
                         "(use --name)")
    t0 = time.perf_counter()
    # The bar is for a terminal; in a log or a pipe it would only leave its label behind.
    bar_file = sys.stderr if sys.stderr.isatty() else io.StringIO()
    with _client(port, baud, timeout, key) as c:
        info = c.info()
        if info.keys and autostart and not manifest_autostart(data):
            raise UsageError("--autostart: on a provisioned device a signed package's own "
                             "manifest decides (set autostart = true in the manifest and "
                             "sign it again)")
        if not no_host_check:
            # the push itself is open; the listing needs a token on a provisioned device
            mods = _modules_if_allowed(c)
            same = preflight.already_installed(mods, name, data, flags_autostart)
            if same and not force:
                click.echo(f"{name} is already installed, identical ({same}); nothing "
                           "sent (--force pushes anyway)")
                return
            preflight.refuse_early(info, mods, name, pkg, file, data[:4] == b"\0asm")
        _push_with_progress(c, name, data, flags_autostart, bar_file, t0)


def _modules_if_allowed(c: DeviceClient) -> list[p.ModuleEntry]:
    """The device's modules, or [] when it is provisioned and we hold no operator key (the
    identical-module check is then skipped: the push needs no token)."""
    try:
        return c.modules()
    except DeviceRefused as e:
        if e.status != p.Status.AUTH:
            raise
        return []


def _push_with_progress(c: DeviceClient, name: str, data: bytes, autostart: bool,
                        bar_file: Any, t0: float) -> None:
    with click.progressbar(length=len(data), label=f"push {name}", file=bar_file,
                           show_percent=True, item_show_func=lambda s: s) as bar:
        done = [0]

        def progress(acked: int, size: int) -> None:
            bar.update(acked - done[0], f"{_human(acked / max(time.perf_counter() - t0, 1e-6))}/s")
            done[0] = acked

        try:
            c.ping()  # within --timeout; PUSH_BEGIN may wait 10 s for a flash erase
            r = c.push(name, data, autostart=autostart, progress=progress)
        except LinkError as e:
            raise LinkError(f"{e}; push {name} was interrupted at {done[0]} of {len(data)} "
                            "bytes: run the same push again to resume") from e
    resumed = f", resumed at {r.resumed_from}" if r.resumed_from else ""
    click.echo(f"pushed {name}: {len(data)} bytes in {r.seconds:.2f} s "
               f"({_human(r.throughput)}/s{resumed})")
    if r.note:
        click.echo(f"note: {escape(r.note)}", err=True)



def _code_column(m: p.ModuleEntry) -> str:
    """How its code runs: native (AOT), pre-decoded (with the flash its form takes) or in
    place (no form stored: the store had no room, or this firmware does not pre-decode)."""
    if m.kind == "package+aot":
        return "native"
    if not m.detail:
        return "-"  # a firmware without LIST's detail does not say
    if m.code == "pre-decoded":
        return f"pre-decoded ({_human(m.form_bytes)})"
    return m.code

@main.command("ls")
@click.option("-l", "--long", "detail", is_flag=True,
              help="Also each module's memory (now and limit), stack limit, hash and "
                   "generation.")
@json_option
@_link_options
@_key_option
def ls_cmd(detail: bool, as_json: bool, port: str, baud: int, timeout: float,
           key: Path | None) -> None:
    """List the modules installed on the device, with their state and resource use.

    KIND, VERSION and RAM come from the store for a module that is not running (RAM, in
    brackets, is then what its manifest would reserve); TRAPS counts traps of its
    background runs and of `run`. CODE says how its code runs: native (AOT), pre-decoded
    (from a form the device translated at install and keeps beside it in flash, its size
    in brackets) or in place (no form: the store had no room for one, or this firmware does
    not pre-decode; "form refused": the stored form failed its checks)."""
    with _client(port, baud, timeout, key) as c:
        mods = c.modules(detail=True)  # the detail says how the code runs (CODE)
    if as_json:
        emit_json([{**dataclasses.asdict(m), "sha256": m.sha256.hex(),
                    "version": ".".join(map(str, m.version)), "autostart": m.autostart,
                    "running": m.running} for m in mods])
        return
    if not mods:
        click.echo("no modules")
        return
    click.echo(f"{'NAME':<20} {'STATE':<9} {'KIND':<11} {'VERSION':<9} {'SIZE':>8} "
               f"{'RAM':>9} {'CPU':>6} {'FUEL/S':>9} {'TRAPS':>5} {'RESTARTS':>8}  CODE")
    for m in mods:
        version = ".".join(map(str, m.version)) if m.kind != "wasm" else "-"
        # held while it runs; otherwise (in brackets) what its manifest would reserve
        ram = "-" if not m.mem_bytes else _human(m.mem_bytes) if m.running \
            else f"({_human(m.mem_bytes)})"
        cpu = f"{m.cpu_permille / 10:.1f}%" if m.running else "-"
        flags = "  autostart" if m.autostart else ""
        click.echo(f"{escape(m.name):<20} {m.state:<9} {m.kind:<11} "
                   f"{version:<9} {m.size:>8} {ram:>9} {cpu:>6} {m.fuel_per_s:>9} "
                   f"{m.traps:>5} {m.restarts:>8}  {_code_column(m)}{flags}")
        if m.last_trap and (m.traps or m.state in ("trapped", "stopped", "backoff",
                                                    "disabled", "failed", "exited")):
            click.echo(f"{'':<20} last: {escape(m.last_trap)}")
        if detail and m.detail and (m.mem_limit or m.stack_limit):
            now = f"{_human(m.mem_now)} of " if m.mem_now else ""
            click.echo(f"{'':<20} memory {now}{_human(m.mem_limit)} (limit), stack "
                       f"{_human(m.stack_limit)} (limit)")
        if detail:
            click.echo(f"{'':<20} sha256 {m.sha256.hex()[:16]}  generation {m.generation}  "
                       f"flags 0x{m.flags:x}")


@main.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--invoke", "export", default="", metavar="EXPORT",
              help="Exported function to call [default: the manifest's entry, else _start].")
@click.argument("args", nargs=-1)
@_debug_option
@_link_options
@_key_option
def run_cmd(name: str, export: str, args: tuple[str, ...], debug_places: tuple[Path, ...],
            port: str, baud: int, timeout: float, key: Path | None) -> None:
    """Run EXPORT of module NAME on the device with ARGS (i32:7, f64:0.5, ...), once, on a
    fresh instance.

    Prints the module's log lines and output, then each result as TYPE:VALUE. A trap
    prints "trap: reason in function (file:line) <- ..." (names and lines when the
    package's debug file is at hand, see --debug) and exits with status 2; a WASI module
    that ends itself with proc_exit exits with its status. A missing export is named with
    the ones that exist.

    \b
    Examples:
      wasmote run hello -p 4321                     # its entry
      wasmote run hello --invoke scale 21 -p 4321   # i32:42
    """
    values = [parse_user_value(a) for a in args]
    wire = []
    for v in values:
        if v.type not in p.VALUE_CODES or v.bits is None:
            raise UsageError(f"{v.type} arguments cannot be sent to a device")
        wire.append(p.WireValue(v.type, v.bits))
    printer = StreamPrinter(prefix=False)

    def event(ev: p.Event) -> None:
        if ev.module != name:
            return
        if ev.kind == p.Msg.EV_LOG:
            end_open_line(printer)
            click.echo(escape(ev.text.rstrip("\r\n")))
        elif ev.kind == p.Msg.EV_OUTPUT:
            _echo_output(printer, ev)

    with _client(port, baud, timeout, key) as c:
        c.on_event = event
        c.ping()  # a silent device is reported within --timeout, not the RUN's 30 s
        try:
            results = c.run(name, export, wire)
        except DeviceRefused as e:
            end_open_line(printer)
            if e.status == p.Status.TRAP:
                trap = _Symbolizer(c, debug_places).trap(name, e.message)
                click.echo(f"trap: {escape(trap)}", err=True)
                sys.exit(2)
            if e.status == p.Status.EXITED:
                sys.exit(int(e.message.rpartition(" ")[2] or 0) & 0xFF)
            raise
    end_open_line(printer)
    for r in results:
        click.echo(Value(r.type, r.bits).user())


@main.command("start")
@click.argument("name")
@click.option("-f", "--follow", is_flag=True,
              help="Print its log lines, output and events until it exits.")
@_debug_option
@_link_options
@_key_option
def start_cmd(name: str, follow: bool, debug_places: tuple[Path, ...], port: str, baud: int,
              timeout: float, key: Path | None) -> None:
    """Start module NAME's entry (the manifest's `entry`, else `_start`) in the background.

    Each started module runs in a slot of its own beside the others (INFO says how many
    slots); the device restarts it per its manifest if it traps. With -f: exits 2 on a
    trap (named from the debug file, see --debug), or with the module's proc_exit status."""
    printer = StreamPrinter(prefix=False)
    with _client(port, baud, timeout, key) as c:
        events = _follow_events(c) if follow else iter(())  # before it can say anything
        c.start(name)
        click.echo(f"started {name}")
        for ev in events:
            if ev is None or ev.module != name:
                continue
            if ev.kind in (p.Msg.EV_LOG, p.Msg.EV_TRAP, p.Msg.EV_EXIT):
                end_open_line(printer)  # each of these prints a line of its own
            if ev.kind == p.Msg.EV_LOG:
                click.echo(escape(ev.text.rstrip("\n")))
            elif ev.kind == p.Msg.EV_OUTPUT:
                _echo_output(printer, ev)
            elif ev.kind == p.Msg.EV_TRAP:
                trap = _Symbolizer(c, debug_places).trap(name, ev.text.removeprefix("trap: "))
                click.echo(f"trap: {escape(trap)}", err=True)
                sys.exit(2)
            elif ev.kind == p.Msg.EV_EXIT:
                click.echo(escape(ev.text))
                status = ev.text.removeprefix("exit status ")
                sys.exit(int(status) & 0xFF if status.isdigit() else 0)


@main.command("stop")
@click.argument("name")
@_link_options
@_key_option
def stop_cmd(name: str, port: str, baud: int, timeout: float, key: Path | None) -> None:
    """Stop the running module NAME."""
    with _client(port, baud, timeout, key) as c:
        c.stop(name)
    click.echo(f"stopped {name}")


@main.command("rm")
@click.argument("name")
@_link_options
@_key_option
def rm_cmd(name: str, port: str, baud: int, timeout: float, key: Path | None) -> None:
    """Remove module NAME from the device's store."""
    with _client(port, baud, timeout, key) as c:
        c.remove(name)
    click.echo(f"removed {name}")


@main.command("logs")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new log lines and events.")
@click.option("-t", "--timestamps", is_flag=True,
              help="Prefix each followed line with the host's time of arrival.")
@_debug_option
@_link_options
@_key_option
def logs_cmd(follow: bool, timestamps: bool, debug_places: tuple[Path, ...], port: str,
             baud: int, timeout: float, key: Path | None) -> None:
    """Print the device's recent module log lines (and with -f, follow them).

    With -f it is the monitor to keep open beside every other command of the same port:
    they share the line through one relay.

    \b
    Examples:
      wasmote logs -f -t -p 4321
    """
    with _client(port, baud, timeout, key) as c:
        click.echo(c.logs(), nl=False)  # rendered line by line, escaped (LogLine.render)
        if not follow:
            return
        # subscribed before it says so: a script (or a test) that waits for this line and
        # then starts a module must not lose its first lines on a provisioned device
        events = _follow_events(c)
        click.echo(f"following {c.transport.description} (Ctrl-C quits)", err=True)
        symbols = _Symbolizer(c, debug_places)
        printer = StreamPrinter(prefix=True)
        for ev in events:
            if ev is None:
                continue
            if ev.kind == p.Msg.EV_OUTPUT:
                _echo_output(printer, ev)
            elif ev.kind == p.Msg.EV_TRAP:  # named from the module's debug file, if here
                trap = symbols.trap(ev.module, ev.text.removeprefix("trap: "))
                click.echo(event_line(dataclasses.replace(ev, text=f"trap: {trap}"),
                                      timestamps))
            else:
                click.echo(event_line(ev, timestamps))


@main.command("reset")
@_link_options
@_key_option
def reset_cmd(port: str, baud: int, timeout: float, key: Path | None) -> None:
    """Restart the device (modules marked autostart start again)."""
    with _client(port, baud, timeout, key) as c:
        c.reset()
    click.echo("reset")


_KEY_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@main.command("provision")
@click.option("--pubkey", "-P", "pubkeys", multiple=True, type=_KEY_FILE,
              help="A public key (.pub) the device trusts for everything: signing packages, "
                   "managing it, changing its keys. Repeatable.")
@click.option("--package-key", "package_keys", multiple=True, type=_KEY_FILE,
              help="A public key trusted only to sign packages (a build server).")
@click.option("--operator-key", "operator_keys", multiple=True, type=_KEY_FILE,
              help="A public key trusted only for management: ls, run, start, stop, rm, "
                   "logs, reset (a fleet gateway).")
@click.option("--admin-key", "admin_keys", multiple=True, type=_KEY_FILE,
              help="A public key trusted only to change the keys and clear version pins.")
@click.option("--key", "-k", "signer", type=_KEY_FILE, envvar="WASMOTE_KEY",
              show_envvar=True,
              help="Private key with the admin role (needed once the device is provisioned).")
@click.option("--clear", is_flag=True, help="Remove every key: the device accepts unsigned "
                                            "packages again.")
@click.option("--clear-pins", is_flag=True,
              help="Forget every version pin (rollback protection): with new keys, or alone "
                   "to keep the keys. Nothing else clears them.")
@_link_options
def provision_cmd(pubkeys: tuple[Path, ...], package_keys: tuple[Path, ...],
                  operator_keys: tuple[Path, ...], admin_keys: tuple[Path, ...],
                  signer: Path | None, clear: bool, clear_pins: bool, port: str, baud: int,
                  timeout: float) -> None:
    """Set the public keys the device trusts, each with its roles (at most 4 keys; between
    them every role: package, operate, admin). A provisioned device runs only packages signed
    by a package key, refuses replays of older versions, and answers management requests
    only with a token signed by an operator key, bound to its device id and a fresh nonce.
    The first provisioning is trust on first use: do it before the device leaves your hands."""
    roles = [(k, p.ROLES_ALL) for k in pubkeys] + [(k, p.ROLE_PACKAGE) for k in package_keys]
    roles += [(k, p.ROLE_OPERATE) for k in operator_keys]
    roles += [(k, p.ROLE_ADMIN) for k in admin_keys]
    if clear and roles:
        raise UsageError("--clear removes every key: give no keys with it")
    if not clear and not roles and not clear_pins:
        raise UsageError("give keys (--pubkey, --package-key, --operator-key, --admin-key), "
                         "--clear or --clear-pins")
    keys = [(load_public_key(k), r) for k, r in roles]
    if keys and functools.reduce(operator.or_, (r for _, r in keys)) != p.ROLES_ALL:
        missing = [n for bit, n in p.ROLE_NAMES.items()
                   if not any(r & bit for _, r in keys)]
        raise UsageError(f"no key has the {', '.join(missing)} role: the device needs every "
                         "role held by some key (--pubkey gives one key all of them)")
    with _client(port, baud, timeout, signer) as c:
        c.provision(keys, clear_pins=clear_pins, keep_keys=not roles and not clear)
        info = c.info()
    pins = "; version pins cleared" if clear_pins else ""
    if clear:
        click.echo(f"device unprovisioned: it accepts unsigned packages{pins}")
    elif not roles:
        click.echo("version pins cleared; keys unchanged")
    else:
        ids = ", ".join(f"{key_id(k)} ({_role_text(r)})" for k, r in keys)
        click.echo(f"device provisioned with {len(keys)} key(s): {ids} "
                   f"(key change {info.key_counter}){pins}")


def _role_text(roles: int) -> str:
    return "all roles" if roles == p.ROLES_ALL else \
        "+".join(n for bit, n in p.ROLE_NAMES.items() if roles & bit)
