"""The everyday loop around a device: `ports` (where devices are), `monitor` (a console
beside every other command), `dev` (rebuild, re-package, re-push on every save)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import click

from wasmote.cli import main
from wasmote.cli.device_cmds import _client, _link_options, _push_with_progress
from wasmote.cli.output import emit_json, escape, event_line, json_option, stamp
from wasmote.config import PROJECT_FILE, load_config
from wasmote.device import preflight
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.ports import list_ports
from wasmote.errors import UsageError, WasmoteError
from wasmote.package.container import parse_package
from wasmote.package.manifest import load_manifest
from wasmote.sdk.scaffold import BUILD_SCRIPT, MANIFEST
from wasmote.sdk.watch import FolderWatch


@main.command("ports")
@json_option
def ports_cmd(as_json: bool) -> None:
    """List serial ports and running sims: what -p/--port can be.

    \\b
    --port takes a serial device (/dev/ttyUSB0), socket://HOST:PORT, a bare TCP port
    number (a sim's: 4321 = socket://127.0.0.1:4321) or 'auto' (the only USB serial
    device). Where it comes from, highest first: the flag, WASMOTE_PORT (WASMOTE_BAUD,
    WASMOTE_TIMEOUT), a config file, the default. The config file is $WASMOTE_CONFIG, else
    wasmote-host.toml in this folder or above, else ~/.config/wasmote/config.toml:
      [device]
      port = "/dev/ttyUSB0"
      baud = 921600
    """
    ports = list_ports()
    cfg = load_config()
    if as_json:
        emit_json({"ports": [vars(pt) for pt in ports],
                   "config": {"path": str(cfg.path) if cfg.path else None, **cfg.values}})
        return
    if not ports:
        click.echo("no serial ports and no running sims (start one: wasmote sim --background)")
    for pt in ports:
        click.echo(f"{pt.url:<28} {pt.kind:<6} {pt.description}")
    if cfg.path is not None:
        shown = ", ".join(f"{k} = {v!r}" for k, v in cfg.values.items()) or "no settings"
        click.echo(f"config: {cfg.path} ({shown})")
    else:
        click.echo(f"config: none ({PROJECT_FILE} or ~/.config/wasmote/config.toml)")


# Longest console line held back for its newline: a device that never ends its line is
# shown in pieces of this size, not buffered (and rescanned) without bound.
CONSOLE_LINE_MAX = 4096


class _Lines:
    """Console text arrives in pieces: print whole lines (at most CONSOLE_LINE_MAX bytes
    each), escaped."""

    def __init__(self, timestamps: bool) -> None:
        self.buf = b""
        self.timestamps = timestamps

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            at = self.buf.find(b"\n", 0, CONSOLE_LINE_MAX + 1)
            if at >= 0:
                raw, self.buf = self.buf[:at], self.buf[at + 1:]
            elif len(self.buf) > CONSOLE_LINE_MAX:
                raw, self.buf = self.buf[:CONSOLE_LINE_MAX], self.buf[CONSOLE_LINE_MAX:]
            else:
                return
            text = escape(raw.decode("utf-8", "replace").rstrip("\r"))
            click.echo(f"{stamp(self.timestamps)}{text}")


@main.command("monitor")
@click.option("-t", "--timestamps", is_flag=True, help="Prefix each line with the host time.")
@click.option("--events/--no-events", default=True, show_default=True,
              help="Also print the device's events (log lines, traps, exits, boots).")
@_link_options
def monitor_cmd(timestamps: bool, events: bool, port: str, baud: int, timeout: float) -> None:
    """A console on the device's line until Ctrl-C: what the firmware prints outside the
    protocol (boot banner, panics) and every event, escaped (no device byte reaches your
    terminal raw).

    It shares the line with every other wasmote command of the same port (one relay owns
    it), so keep it open while you push, run and reset. Read-only: the line carries the
    device protocol, so typed bytes are not sent.

    \\b
    Examples:
      wasmote monitor -p /dev/ttyUSB0
      wasmote monitor -t -p 4321      # beside: wasmote reset -p 4321
    """
    lines = _Lines(timestamps)
    with _client(port, baud, timeout) as c:
        c.on_console = lines.feed
        if events:
            c.on_event = lambda ev: click.echo(event_line(ev, timestamps))
        click.echo(f"monitor on {c.transport.description} (Ctrl-C quits)", err=True)
        while True:
            c.receive(1.0)


def _build(folder: Path, command: str) -> tuple[bool, str]:
    proc = subprocess.run(command, shell=True, cwd=folder, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    return proc.returncode == 0, proc.stdout


def _dev_cycle(c: DeviceClient, folder: Path, command: str, package: Path, start: bool,
               quiet_bar: bool) -> None:
    """Build, then push if the package changed, then (re)start. Build and device errors are
    printed; the watch goes on."""
    t0 = time.monotonic()
    ok, out = _build(folder, command)
    if not ok:
        click.echo(out.rstrip(), err=True)
        click.echo(f"build failed ({command}); fix and save again", err=True)
        return
    click.echo(f"built {package.name} in {time.monotonic() - t0:.1f} s")
    try:
        data = package.read_bytes()
        pkg = parse_package(data, str(package))
        name = pkg.manifest.name
        info, mods = c.info(), c.modules()
        if preflight.already_installed(mods, name, data, pkg.manifest.autostart):
            click.echo(f"{name}: unchanged on the device, not pushed")
            return
        preflight.refuse_early(info, mods, name, pkg, package, False)
        bar = sys.stderr if sys.stderr.isatty() and not quiet_bar else io.StringIO()
        _push_with_progress(c, name, data, pkg.manifest.autostart, bar, time.perf_counter())
        running = {m.name for m in c.modules() if m.running}
        if start and not pkg.manifest.autostart and name not in running:
            c.start(name)
            click.echo(f"started {name}")
    except (DeviceRefused, preflight.PushRefused, OSError) as e:
        click.echo(f"error: {e}", err=True)
    except WasmoteError as e:
        if e.exit_code == 3:  # the link itself: nothing more to do here
            raise
        click.echo(f"error: {e.one_line()}", err=True)


@main.command("dev")
@click.argument("folder", default=".", type=click.Path(file_okay=False, exists=True,
                                                       path_type=Path))
@click.option("--build", "command", default=f"./{BUILD_SCRIPT}", show_default=True,
              help="Command that builds the package (run in FOLDER).")
@click.option("--package", "package", type=click.Path(dir_okay=False, path_type=Path),
              help="The package the build writes [default: FOLDER/NAME.wmp].")
@click.option("--start/--no-start", default=True, show_default=True,
              help="Start the module after each push (an autostart one restarts anyway).")
@_link_options
def dev_cmd(folder: Path, command: str, package: Path | None, start: bool, port: str,
            baud: int, timeout: float) -> None:
    """Rebuild, re-package and re-push FOLDER's module on every save, and print its log
    lines, until Ctrl-C.

    FOLDER is a project made by `wasmote new` (wasmote.toml, build.sh). An unchanged
    package is not pushed again; a build error is printed and the watch goes on.

    \\b
    Examples:
      wasmote dev -p 4321                 # in the project folder
      wasmote dev ../sensor --no-start -p /dev/ttyUSB0
    """
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise UsageError(f"{folder}: no {MANIFEST} here; run `wasmote dev` in a project made "
                         "by `wasmote new` (or give its folder)")
    name = load_manifest(manifest_path).name
    package = package or folder / f"{name}.wmp"
    watch = FolderWatch(folder, ignore={package.name})
    try:
        with _client(port, baud, timeout) as c:
            c.on_event = lambda ev: click.echo(event_line(ev, True)) \
                if ev.module == name else None
            _dev_cycle(c, folder, command, package, start, quiet_bar=False)
            how = "inotify" if watch.event_driven else "polling"
            click.echo(f"watching {folder.resolve()} ({how}); Ctrl-C stops")
            while True:
                c.receive(0.1)
                changed = watch.changes(0.1)
                if not changed:
                    continue
                changed |= watch.changes(0.1)  # an editor's save is several events
                click.echo(f"changed: {', '.join(sorted(changed))}")
                _dev_cycle(c, folder, command, package, start, quiet_bar=False)
    finally:
        watch.close()


