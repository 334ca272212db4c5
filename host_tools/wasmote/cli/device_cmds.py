"""Device commands: info, push, ls, run, stop, rm, logs, reset (over a serial line)."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from wasmote.cli import main
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused, LinkError
from wasmote.device.transport import SerialTransport
from wasmote.errors import UsageError
from wasmote.runtime.values import Value, parse_user_value
from wasmote.wasm.files import module_from_bytes

F = TypeVar("F", bound=Callable[..., Any])
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,31}$")


def _link_options(f: F) -> F:
    f = click.option("--timeout", type=click.FloatRange(min=0.1), default=2.0,
                     show_default=True, help="Seconds to wait for each answer.")(f)
    f = click.option("--baud", type=click.IntRange(min=300), default=115200,
                     show_default=True, envvar="WASMOTE_BAUD", help="Serial line speed.")(f)
    f = click.option("--port", default="auto", show_default=True, envvar="WASMOTE_PORT",
                     help="Serial device, socket://HOST:PORT, or 'auto' (the only USB "
                          "serial device).")(f)
    return f


@contextmanager
def _client(port: str, baud: int, timeout: float) -> Iterator[DeviceClient]:
    t = SerialTransport(port, baud)
    try:
        yield DeviceClient(t, timeout=timeout)
    finally:
        t.close()


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} MiB"


@main.command("info")
@_link_options
def info_cmd(port: str, baud: int, timeout: float) -> None:
    """Show the device's firmware, protocol version, memory and module store."""
    with _client(port, baud, timeout) as c:
        i = c.info()
    click.echo(f"firmware:  {i.firmware_version}")
    click.echo(f"board:     {i.board}")
    click.echo(f"protocol:  {i.protocol_version} (max frame {i.max_frame} B, "
               f"chunk {i.max_chunk} B, window {i.window})")
    click.echo(f"free RAM:  {_human(i.free_ram)}")
    click.echo(f"store:     {_human(i.store_free)} free of {_human(i.store_capacity)}, "
               f"{i.modules} module(s)")
    click.echo(f"features:  {', '.join(i.feature_names()) or 'none'}")


@main.command("push")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", help="Module name on the device (default: the file's stem).")
@click.option("--autostart", is_flag=True, help="Start the module at every boot.")
@click.option("--no-host-check", is_flag=True,
              help="Skip validating FILE on the host first (the device validates anyway).")
@_link_options
def push_cmd(file: Path, name: str | None, autostart: bool, no_host_check: bool, port: str,
             baud: int, timeout: float) -> None:
    """Install FILE on the device (replacing a module of the same name atomically).

    An interrupted push resumes where it stopped when run again with the same file."""
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    data = file.read_bytes()
    if data[:4] != b"\0asm":
        raise UsageError(f"{file}: not a wasm module (no \\0asm header)")
    if not no_host_check:
        module_from_bytes(data, file)  # a bad module fails here with FILE:0xOFFSET: why
    name = name or file.stem
    if not _NAME_RE.match(name):
        raise UsageError(f"module name '{name}' must be 1-31 characters of A-Z a-z 0-9 . _ - "
                         "(use --name)")
    t0 = time.perf_counter()
    with _client(port, baud, timeout) as c, click.progressbar(
            length=len(data), label=f"push {name}", file=sys.stderr,
            show_percent=True, item_show_func=lambda s: s) as bar:
        done = [0]

        def progress(acked: int, size: int) -> None:
            bar.update(acked - done[0], f"{_human(acked / max(time.perf_counter() - t0, 1e-6))}/s")
            done[0] = acked

        try:
            r = c.push(name, data, autostart=autostart, progress=progress)
        except LinkError as e:
            raise LinkError(f"{e}; push {name} was interrupted at {done[0]} of {len(data)} "
                            "bytes: run the same push again to resume") from e
    resumed = f", resumed at {r.resumed_from}" if r.resumed_from else ""
    click.echo(f"pushed {name}: {len(data)} bytes in {r.seconds:.2f} s "
               f"({_human(r.throughput)}/s{resumed})")


@main.command("ls")
@_link_options
def ls_cmd(port: str, baud: int, timeout: float) -> None:
    """List the modules installed on the device."""
    with _client(port, baud, timeout) as c:
        mods = c.modules()
    if not mods:
        click.echo("no modules")
    for m in mods:
        flags = " autostart" if m.autostart else ""
        click.echo(f"{m.name:<32} {m.size:>8}  {m.sha256.hex()[:16]}{flags}")


@main.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--invoke", "export", default="_start", show_default=True, metavar="EXPORT",
              help="Exported function to call.")
@click.argument("args", nargs=-1)
@_link_options
def run_cmd(name: str, export: str, args: tuple[str, ...], port: str, baud: int,
            timeout: float) -> None:
    """Run EXPORT of module NAME on the device with ARGS (i32:7, f64:0.5, ...).

    Prints the module's log lines, then each result as TYPE:VALUE; a trap prints
    "trap: reason" and exits with status 2."""
    values = [parse_user_value(a) for a in args]
    wire = []
    for v in values:
        if v.type not in p.VALUE_CODES or v.bits is None:
            raise UsageError(f"{v.type} arguments cannot be sent to a device")
        wire.append(p.WireValue(v.type, v.bits))
    with _client(port, baud, timeout) as c:
        c.on_event = lambda ev: click.echo(ev.text.rstrip("\n")) \
            if ev.kind == p.Msg.EV_LOG else None
        try:
            results = c.run(name, export, wire)
        except DeviceRefused as e:
            if e.status == p.Status.TRAP:
                click.echo(f"trap: {e.message}", err=True)
                sys.exit(2)
            raise
    for r in results:
        click.echo(Value(r.type, r.bits).user())


@main.command("start")
@click.argument("name")
@click.option("-f", "--follow", is_flag=True,
              help="Print its log lines and events until it exits.")
@_link_options
def start_cmd(name: str, follow: bool, port: str, baud: int, timeout: float) -> None:
    """Start module NAME's `_start` in the background on the device (one at a time)."""
    with _client(port, baud, timeout) as c:
        c.start(name)
        click.echo(f"started {name}")
        while follow:
            ev = c.wait_event(1.0)
            if ev is None or ev.module != name:
                continue
            if ev.kind == p.Msg.EV_LOG:
                click.echo(ev.text.rstrip("\n"))
            elif ev.kind in (p.Msg.EV_EXIT, p.Msg.EV_TRAP):
                click.echo(ev.text, err=ev.kind == p.Msg.EV_TRAP)
                if ev.kind == p.Msg.EV_TRAP:
                    sys.exit(2)
                return


@main.command("stop")
@click.argument("name")
@_link_options
def stop_cmd(name: str, port: str, baud: int, timeout: float) -> None:
    """Stop the running module NAME."""
    with _client(port, baud, timeout) as c:
        c.stop(name)
    click.echo(f"stopped {name}")


@main.command("rm")
@click.argument("name")
@_link_options
def rm_cmd(name: str, port: str, baud: int, timeout: float) -> None:
    """Remove module NAME from the device's store."""
    with _client(port, baud, timeout) as c:
        c.remove(name)
    click.echo(f"removed {name}")


@main.command("logs")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new log lines and events.")
@_link_options
def logs_cmd(follow: bool, port: str, baud: int, timeout: float) -> None:
    """Print the device's recent module log lines (and with -f, follow them)."""
    with _client(port, baud, timeout) as c:
        click.echo(c.logs(), nl=False)
        while follow:
            ev = c.wait_event(1.0)
            if ev is None:
                continue
            kind = p.Msg(ev.kind).name.removeprefix("EV_").lower() \
                if ev.kind in p.Msg._value2member_map_ else str(ev.kind)
            if ev.kind == p.Msg.EV_LOG:
                click.echo(f"{ev.module}: {ev.text}".rstrip("\n"))
            else:
                click.echo(f"[{kind}] {ev.module}: {ev.text}".rstrip("\n"))


@main.command("reset")
@_link_options
def reset_cmd(port: str, baud: int, timeout: float) -> None:
    """Restart the device (modules marked autostart start again)."""
    with _client(port, baud, timeout) as c:
        c.reset()
    click.echo("reset")
