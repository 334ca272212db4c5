"""How the CLI writes: JSON for scripts (`--json`), colour only for a terminal, device text
escaped, timestamps on log lines."""

from __future__ import annotations

import datetime
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from wasmote.device import protocol as p
from wasmote.terminal_text import escape_controls

F = TypeVar("F", bound=Callable[..., Any])


def json_option(f: F) -> F:
    """`--json`: the listing as one JSON document on stdout (stable keys, for scripts)."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the result as JSON (for scripts).")(f)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def colour_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    s = stream if stream is not None else sys.stdout
    return bool(getattr(s, "isatty", lambda: False)())


def style(text: str, **kw: Any) -> str:
    return click.style(text, **kw) if colour_enabled() else text


def escape(text: str, newlines: bool = False) -> str:
    """Device text made safe for a terminal (wasmote.terminal_text, the one place that
    decides what is escaped); with `newlines` the host's own line breaks stay."""
    return escape_controls(text, keep_newlines=newlines)


def stamp(enabled: bool) -> str:
    """A local wall-clock prefix for a log line ("12:34:56.789 "), or "" when off."""
    if not enabled:
        return ""
    now = datetime.datetime.now()
    return now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d} "


def event_line(ev: p.Event, timestamps: bool = False) -> str:
    """One followed event as a line: `module: text` for a log line or a piece of output,
    `[kind] module: text` for the others; device text escaped."""
    return stamp(timestamps) + ev.render()
