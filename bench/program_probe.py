"""Which of the chosen programs a bench can run.

The issue's contract for the programs nobody here wrote is "every program that builds
freestanding; the bench lists any it leaves out and why". The programs bench/workloads.py
describes must build (a failure there is ours and stops the bench); a program it only
found in the suite's src/ (another release of Embench-IoT) is tried first: built for wasm
and for the host, then run once on wasmtime, where its own verification must pass. One
that fails any of these is left out, with the reason, in `PROGRAMS_LEFT_OUT`, which every
bench prints. A bench also names what else it builds of each program (`Need`: AOT code, an
object for a board's bare-metal image): a discovered program one of those refuses is left
out with that refusal, instead of stopping the bench half-way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.interp import run_wasmtime
from bench.workloads import (
    PROGRAMS_LEFT_OUT,
    Workload,
    WorkloadBuildError,
    WorkloadCheckError,
    check_verified,
)

_REASON_CHARS = 160


@dataclass(frozen=True)
class Need:
    """Something more a bench builds of every program: `build(w)` raises when it cannot."""

    what: str                           # "AOT code for cortex-m4", ...
    build: Callable[[Workload], object]


def first_error(message: str) -> str:
    """The line of a message that says what went wrong: its first with `error`, else its
    first (a WorkloadBuildError's first line is the command, its output follows)."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()] or [""]
    line = next((ln for ln in lines if "error" in ln.lower()), lines[0])
    return line if len(line) <= _REASON_CHARS else line[:_REASON_CHARS - 3] + "..."


def why_not(w: Workload, needs: Sequence[Need] = ()) -> str | None:
    """Why the bench cannot run `w`, or None."""
    try:
        wasm = w.wasm()
        w.native()
    except WorkloadBuildError as e:
        output = str(e).split("\n", 1)[-1]
        return f"does not build freestanding: {first_error(output)}"
    try:
        check_verified(w, run_wasmtime(wasm, 1))
    except WorkloadCheckError:
        return "its own verification fails on wasmtime"
    except Exception as e:  # a trap, a missing import or export: wasmtime's own words
        return f"does not run on wasmtime: {first_error(str(e))}"
    for need in needs:
        try:
            need.build(w)
        except Exception as e:  # a compiler's or the AOT translator's refusal, in its words
            text = str(e)
            if isinstance(e, WorkloadBuildError):
                text = text.split("\n", 1)[-1]
            return f"no {need.what}: {first_error(text)}"
    return None


def usable(chosen: Sequence[Workload], needs: Sequence[Need] = ()) -> tuple[Workload, ...]:
    """`chosen` without the discovered programs that cannot run or that one of `needs`
    refuses (recorded as left out)."""
    out = []
    for w in chosen:
        reason = why_not(w, needs) if w.discovered else None
        if reason is None:
            out.append(w)
        else:
            PROGRAMS_LEFT_OUT[w.name] = reason
    return tuple(out)
