"""`wasmote build` and `wasmote sim`: the firmware through PlatformIO and under QEMU."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from wasmote import firmware, sim, sim_devices
from wasmote.cli import main
from wasmote.cli.output import emit_json, json_option
from wasmote.errors import UsageError, WasmoteError
from wasmote.qmp import QmpClient


def _progress(line: str) -> None:
    """Build progress goes to stderr: stdout stays the result (sizes, the sim's URL)."""
    click.echo(line, err=True)


@main.command("build")
@click.option("--board", "boards", multiple=True, default=("mps2-an386",), show_default=True,
              help="Board (boards/<name>.json); repeat for several.")
@click.option("--env", default=None, help="PlatformIO environment (default: the board's).")
@click.option("-v", "--verbose", is_flag=True, help="Show PlatformIO's output.")
@json_option
def build_cmd(boards: tuple[str, ...], env: str | None, verbose: bool, as_json: bool) -> None:
    """Build the firmware with PlatformIO (offline) and print its flash/RAM sizes."""
    results = [firmware.build(b, env=env, verbose=verbose, echo=_progress) for b in boards]
    if as_json:
        emit_json([{"board": r.board.name, "env": r.env, "elf": str(r.elf),
                    "text": r.sizes.text, "data": r.sizes.data, "bss": r.sizes.bss,
                    "flash": r.sizes.flash, "ram": r.sizes.ram, "ram_free": r.ram_free}
                   for r in results])
        return
    click.echo(firmware.size_table(results))
    for r in results:
        click.echo(f"{r.env}: {r.elf}")


@main.group("sim", invoke_without_command=True)
@click.option("--board", default="mps2-an386", show_default=True, help="QEMU board to boot.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="TCP port (default: a free one).")
@click.option("--background", is_flag=True,
              help="Return once the firmware answers; the last line is the serial URL.")
@click.option("--icount", is_flag=True,
              help="Deterministic instruction counting (1 instruction = 1 ns virtual time).")
@click.option("--no-build", is_flag=True, help="Use the last build as it is.")
@click.option("--flash", "flash", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="File that keeps the board's flash (module store, keys, kv) "
              "across sim restarts [default: build/sim/BOARD.flash].")
@click.option("--fresh", is_flag=True,
              help="Start with an erased flash and keep nothing after stop.")
@click.option("--device", "devices", multiple=True, metavar="SPEC",
              help="Attach another emulated part (QEMU -device spec, e.g. "
                   "tmp105,address=0x49,id=temp1); one with a board device's id replaces it.")
@click.pass_context
def sim_cmd(ctx: click.Context, board: str, port: int | None, background: bool, icount: bool,
            no_build: bool, flash: Path | None, fresh: bool, devices: tuple[str, ...]) -> None:
    """Boot the firmware in QEMU with its UART on socket://127.0.0.1:PORT.

    Like a real board, the sim keeps its flash (installed modules, keys, kv data, boot
    count) across stop and start, in build/sim/BOARD.flash unless --flash or --fresh.
    The parts the board file lists (e.g. a TMP105 at 0x48 on I2C bus 0) are attached;
    `sim set ID PROPERTY VALUE` changes what one measures. In the foreground it runs
    until Ctrl-C. `sim stop [PORT]` ends background sims (and saves their flash), `sim ls`
    lists them.

    \b
    Examples:
      wasmote sim --background              # mps2-an386; last line: its URL
      wasmote sim --board riscv32-virt --background --fresh
      wasmote sim ls
      wasmote sim set temp0 temperature 23500   # the emulated TMP105, in m°C
      wasmote sim stop                      # all of them
    """
    if ctx.invoked_subcommand is not None:
        return
    if fresh and flash is not None:
        raise click.UsageError("--fresh and --flash exclude each other")
    keep = None if fresh else (flash or sim.default_flash(board))
    if background:
        s = sim.start_background(board, port=port, build=not no_build, icount=icount,
                                 flash=keep, echo=_progress, devices=devices)
        for line in s.boot_log:
            click.echo(f"  {line}")
        for name, aux_port in s.aux.items():
            click.echo(f"  uart {name}: socket://{sim.HOST}:{aux_port}")
        click.echo(f"{s.board} running in QEMU (pid {s.pid}); stop with: wasmote sim stop "
                   f"{s.port}")
        click.echo(s.url)
        return
    s = sim.launch(board, port=port, build=not no_build, icount=icount, flash=keep,
                   echo=_progress, devices=devices)
    # SIGTERM/SIGHUP end the foreground sim like Ctrl-C does: QEMU must not outlive us.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    if s.gdb:
        threading.Thread(target=_restore, args=(s,), daemon=True).start()
    try:
        kept = f"; flash kept in {s.flash}" if s.flash else ""
        click.echo(f"{s.board} in QEMU (pid {s.pid}), UART on TCP port {s.port}; the firmware "
                   f"boots when the first client connects{kept}. Ctrl-C stops it.")
        click.echo(s.url)
        assert s.proc is not None
        code = s.proc.wait()
        click.echo(f"QEMU exited with status {code}", err=True)
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        s.stop()


def _restore(s: sim.Sim) -> None:
    """Foreground sims: the flash goes in when the first client has connected."""
    try:
        sim.restore_flash(s, timeout=24 * 3600)
    except (OSError, WasmoteError) as e:
        click.echo(f"error: flash not restored: {e}", err=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@sim_cmd.command("stop")
@click.argument("url", required=False)
def sim_stop_cmd(url: str | None) -> None:
    """Stop the background sim at URL (socket://127.0.0.1:PORT or PORT), or all of them.

    A sim's flash is saved to its file first."""
    stopped = sim.stop(url)
    for s in stopped:
        kept = f"; flash saved in {s.flash}" if s.flash else ""
        click.echo(f"stopped {s.board} at {s.url}{kept}")
    if not stopped:
        click.echo("no simulators running")


@sim_cmd.command("ls")
@json_option
def sim_ls_cmd(as_json: bool) -> None:
    """List running background sims: URL, board, pid, flash file, connected clients."""
    sims = sim.list_sims()
    if as_json:
        emit_json([{"url": s.url, "port": s.port, "board": s.board, "pid": s.pid,
                    "flash": s.flash or None, "clients": sim.clients(s)} for s in sims])
        return
    if not sims:
        click.echo("no simulators running (start one: wasmote sim --background)")
        return
    for s in sims:
        click.echo(f"{s.url}  {s.board}  pid {s.pid}  flash {s.flash or '(fresh, not kept)'}"
                   f"  clients {sim.clients(s)}")


def _one_sim(url: str | None) -> sim.Sim:
    sims = sim.list_sims()
    if url is not None:
        port = sim.parse_url_port(url)
        sims = [s for s in sims if s.port == port]
    if len(sims) != 1:
        raise UsageError("no background sim running" if not sims else
                         "several sims are running: say which with --port URL")
    if not sims[0].qmp:
        raise UsageError(f"the sim at {sims[0].url} has no QMP socket (started by an older "
                         "wasmote)")
    return sims[0]


_PORT = click.option("--port", "url", default=None, help="The sim (default: the only one).")


@sim_cmd.command("set", context_settings={"ignore_unknown_options": True})  # -4250
@click.argument("device")
@click.argument("prop")
@click.argument("value", type=int)
@_PORT
def sim_set_cmd(device: str, prop: str, value: int, url: str | None) -> None:
    """Set PROPERTY of the emulated part DEVICE (its id) to VALUE.

    \b
    Example: the TMP105 the mps2 boards attach as temp0, in millidegrees C:
      wasmote sim set temp0 temperature 23500"""
    with QmpClient(_one_sim(url).qmp) as q:
        q.qom_set(sim_devices.qom_path(device), prop, value)


@sim_cmd.command("get")
@click.argument("device")
@click.argument("prop")
@_PORT
def sim_get_cmd(device: str, prop: str, url: str | None) -> None:
    """Print PROPERTY of the emulated part DEVICE (its id)."""
    with QmpClient(_one_sim(url).qmp) as q:
        click.echo(q.qom_get(sim_devices.qom_path(device), prop))
