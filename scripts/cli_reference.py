"""Writes docs/cli.md, the command-line reference, from the click commands themselves.

    python -m scripts.cli_reference          # rewrite docs/cli.md
    python -m scripts.cli_reference --check  # exit 1 if docs/cli.md is out of date

tests/loop/test_loop_cli.py runs the check, so the reference cannot drift from the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click

from wasmote.cli import main

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
WIDTH = 92

HEADER = """\
# Command-line reference

Generated from the commands by `python -m scripts.cli_reference`; a test fails when it is
out of date. `wasmote COMMAND -h` prints the same text.

Device commands (those with `-p/--port`) take their port, baud and timeout from, highest
first: the flag, the environment (`WASMOTE_PORT`, `WASMOTE_BAUD`, `WASMOTE_TIMEOUT`), the
config file (`$WASMOTE_CONFIG`, else `wasmote-host.toml` in the current folder or above,
else `~/.config/wasmote/config.toml`; a `[device]` table with `port`, `baud`, `timeout`),
the default. Every command of one port shares the line through one relay process
(docs/protocol.md, "Sharing the line"), so `wasmote logs -f` or `wasmote monitor` can stay
open beside all the others. `WASMOTE_RELAY=0` opens the line directly instead.

Shell completion (click's): add to `~/.bashrc`
`eval "$(_WASMOTE_COMPLETE=bash_source wasmote)"`; for zsh `zsh_source` in `~/.zshrc`,
for fish `_WASMOTE_COMPLETE=fish_source wasmote | source` in
`~/.config/fish/completions/wasmote.fish`.
"""


def _walk(cmd: click.Command, ctx: click.Context, path: list[str]) -> list[str]:
    out = [f"## `{' '.join(path)}`", "", "```text", cmd.get_help(ctx).rstrip(), "```", ""]
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(sub, info_name=name, parent=ctx, terminal_width=WIDTH,
                                    max_content_width=WIDTH)
            out += _walk(sub, sub_ctx, [*path, name])
    return out


def render() -> str:
    ctx = click.Context(main, info_name="wasmote", terminal_width=WIDTH,
                        max_content_width=WIDTH,
                        help_option_names=main.context_settings["help_option_names"])
    return HEADER + "\n" + "\n".join(_walk(main, ctx, ["wasmote"])).rstrip() + "\n"


def main_(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.cli_reference")
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run python -m scripts.cli_reference",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
