"""An executor for the official WASI test suite's format (../shared/wasi-testsuite:
README.md and SPECIFICATION-upstream.md), and for any set of modules written the same way
(a folder of NAME.wasm with an optional NAME.json): test harness code, not product.

Each test becomes a package the way a user would make one for a device: the module
(stripped, so a board's push is short), a manifest with the test's args and env, every
capability a WASI program may ask for (log, time, sleep, random) and enough memory (what
the module declares plus 1 MiB to grow into). It then runs through a `Runner`: `wasmote
exec` on this computer, or push + start on a board. Judging follows the specification:
the exit code, and stdout/stderr exactly when the test states them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmote.package.build import build_package
from wasmote.package.capabilities import parse_capabilities
from wasmote.package.manifest import Limits, Manifest, Version
from wasmote.runtime.exec import ExecResult
from wasmote.wasm.reader import read_module

CAPS = ("log", "time", "sleep", "random")
WASM_PAGE = 65536
GROW_ROOM = 1 << 20
_NAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Case:
    """One test: its module and what its specification says."""

    suite: str                       # the folder it is in, e.g. "c"
    name: str                        # file stem, e.g. "clock_getres-monotonic"
    wasm: Path
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    root: str | None = None          # a directory to preopen as /
    exit_code: int = 0
    stdout: bytes | None = None      # None: not checked
    stderr: bytes | None = None
    unsupported: str | None = None   # something the spec asks that no runner here does

    @property
    def id(self) -> str:
        return f"{self.suite}/{self.name}"


def discover(root: Path) -> list[Case]:
    """Every test under `root` (recursively): removes `*.cleanup` leftovers first, as the
    specification asks."""
    for junk in root.rglob("*.cleanup"):
        if junk.is_file():
            junk.unlink()
    cases = []
    for wasm in sorted(root.rglob("*.wasm")):
        if any(part.endswith(".dir") for part in wasm.relative_to(root).parts[:-1]):
            continue  # inside a test's file tree, not a test
        spec_file = wasm.with_suffix(".json")
        spec = json.loads(spec_file.read_text()) if spec_file.is_file() else {}
        cases.append(_case(wasm.parent.name, wasm, spec))
    return cases


def _case(suite: str, wasm: Path, spec: dict[str, Any]) -> Case:
    if "operations" not in spec:  # the legacy form: one run, one wait, optional reads
        ops: list[dict[str, Any]] = [{"type": "run", **{k: spec[k] for k in ("args", "env", "root")
                                                          if k in spec}},
                                     {"type": "wait", "exit_code": spec.get("exit_code", 0)}]
        for stream in ("stdout", "stderr"):
            if stream in spec:
                ops.append({"type": "read", "id": stream, "payload": spec[stream]})
    else:
        ops = list(spec["operations"])
    unsupported = (f"needs the proposals {', '.join(spec['proposals'])}"
                   if spec.get("proposals") else None)
    kw: dict[str, Any] = {}
    for op in ops:
        kind = op.get("type")
        if kind == "run":
            kw["args"] = tuple(str(a) for a in op.get("args", []))
            kw["env"] = tuple((str(k), str(v)) for k, v in op.get("env", {}).items())
            kw["root"] = op.get("root")
        elif kind == "wait":
            kw["exit_code"] = int(op.get("exit_code", 0))
        elif kind == "read":
            kw["stdout" if op.get("id", "stdout") == "stdout" else "stderr"] = \
                str(op.get("payload", "")).encode()
        else:
            unsupported = unsupported or f"needs a '{kind}' operation (sockets, http)"
    return Case(suite, wasm.stem, wasm, unsupported=unsupported, **kw)


def package_name(case: Case) -> str:
    """A module name for the case (manifest and store: 1-31 of [A-Za-z0-9_.-])."""
    name = _NAME_BAD.sub("_", case.name)
    return (name if name[:1].isalnum() else "t" + name)[:31]


def package(case: Case) -> bytes:
    """The case's module as a package for a device (see the module docstring)."""
    data = case.wasm.read_bytes()
    declared = max((m.limits.min * WASM_PAGE for m in read_module(data).mem_types()),
                   default=0)
    manifest = Manifest(name=package_name(case), version=Version(1, 0, 0),
                        capabilities=parse_capabilities(CAPS),
                        limits=Limits(memory_bytes=declared + GROW_ROOM),
                        args=case.args, env=case.env)
    return build_package(data, manifest, source=str(case.wasm)).package.to_bytes()


@dataclass
class Outcome:
    case: Case
    exit_code: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    problem: str = ""                 # why it did not run to an exit (trap, refusal, ...)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def judge(case: Case, res: ExecResult | None, problem: str = "") -> Outcome:
    """Compares what happened with the case's specification. A failure of a case that
    needs what no device has says so first (a reader of a large run sorts by it)."""
    out = Outcome(case, problem=problem)
    if case.root is not None:
        out.failures.append("needs a preopened directory (no file system)")
    if res is None:
        out.failures.append(f"did not run: {problem}")
        return out
    out.stdout, out.stderr = res.stdout, res.stderr
    if res.trap is not None:
        out.failures.append(f"trapped: {res.trap.where}")
    elif res.timed_out:
        out.failures.append("did not finish in time")
    else:
        out.exit_code = res.exit_status or 0
        if out.exit_code != case.exit_code:
            out.failures.append(f"exit code {out.exit_code}, expected {case.exit_code}")
    for stream, want in (("stdout", case.stdout), ("stderr", case.stderr)):
        got = getattr(res, stream)
        if want is not None and got != want:
            out.failures.append(f"{stream} {got[:200]!r}, expected {want[:200]!r}")
    if case.root is not None and len(out.failures) == 1:
        out.failures.clear()  # it passed without its directory after all
    return out


# Runs one prepared case: (case, package file) -> result, or raises WasmoteError.
Runner = Callable[[Case, Path], ExecResult]
