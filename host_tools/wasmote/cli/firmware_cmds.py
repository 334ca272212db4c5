"""`wasmote build` and `wasmote sim`: the firmware through PlatformIO and under QEMU."""

from __future__ import annotations

import signal
from types import FrameType

import click

from wasmote import firmware, sim
from wasmote.cli import main


@main.command("build")
@click.option("--board", "boards", multiple=True, default=("mps2-an386",), show_default=True,
              help="Board (boards/<name>.json); repeat for several.")
@click.option("--env", default=None, help="PlatformIO environment (default: the board's).")
@click.option("-v", "--verbose", is_flag=True, help="Show PlatformIO's output.")
def build_cmd(boards: tuple[str, ...], env: str | None, verbose: bool) -> None:
    """Build the firmware with PlatformIO (offline) and print its flash/RAM sizes."""
    results = [firmware.build(b, env=env, verbose=verbose) for b in boards]
    click.echo(firmware.size_table(results))
    for r in results:
        click.echo(f"{r.env}: {r.elf}")


@main.group("sim", invoke_without_command=True)
@click.option("--board", default="mps2-an386", show_default=True, help="QEMU board to boot.")
@click.option("--port", type=int, default=None, help="TCP port (default: a free one).")
@click.option("--background", is_flag=True,
              help="Return once the firmware answers; the last line is the serial URL.")
@click.option("--icount", is_flag=True,
              help="Deterministic instruction counting (1 instruction = 1 ns virtual time).")
@click.option("--no-build", is_flag=True, help="Use the last build as it is.")
@click.pass_context
def sim_cmd(ctx: click.Context, board: str, port: int | None, background: bool, icount: bool,
            no_build: bool) -> None:
    """Boot the firmware in QEMU with its UART on socket://127.0.0.1:PORT.

    In the foreground it runs until Ctrl-C. `sim stop [URL]` ends background sims,
    `sim ls` lists them.
    """
    if ctx.invoked_subcommand is not None:
        return
    if background:
        s = sim.start_background(board, port=port, build=not no_build, icount=icount)
        for line in s.boot_log:
            click.echo(f"  {line}")
        click.echo(f"{s.board} running in QEMU (pid {s.pid}); stop with: wasmote sim stop {s.url}")
        click.echo(s.url)
        return
    s = sim.launch(board, port=port, build=not no_build, icount=icount)
    # SIGTERM/SIGHUP end the foreground sim like Ctrl-C does: QEMU must not outlive us.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        click.echo(f"{s.board} in QEMU (pid {s.pid}), UART on TCP port {s.port}; the firmware "
                   "boots when the first client connects. Ctrl-C stops it.")
        click.echo(s.url)
        assert s.proc is not None
        code = s.proc.wait()
        click.echo(f"QEMU exited with status {code}", err=True)
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        s.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@sim_cmd.command("stop")
@click.argument("url", required=False)
def sim_stop_cmd(url: str | None) -> None:
    """Stop the background sim at URL (socket://127.0.0.1:PORT), or all of them."""
    stopped = sim.stop(url)
    for s in stopped:
        click.echo(f"stopped {s.board} at {s.url}")
    if not stopped:
        click.echo("no simulators running")


@sim_cmd.command("ls")
def sim_ls_cmd() -> None:
    """List running background sims."""
    for s in sim.list_sims():
        click.echo(f"{s.url}  {s.board}  pid {s.pid}")
