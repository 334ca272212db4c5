"""Runs one spec-suite JSON file (wast2json output) through a spec driver and judges it.

The driver (posix process or a device over serial) only executes; everything that needs
judgement lives here: expected values, NaN classes, trap-message matching, exclusions.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.spec_driver import Answer, DriverError, Transport, escape_name
from wasmote.errors import WasmoteError
from wasmote.runtime.values import NUM_TYPES, Value

COMMAND_TYPES = (
    "module", "register", "action", "assert_return", "assert_trap", "assert_exhaustion",
    "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable",
)
STATUSES = ("pass", "fail", "excluded", "n/a")

# (file stem, line) -> reason. Filled by tests/runtime/spec_exclusions.py.
Exclusions = Mapping[tuple[str, int], str]


class SpecFileError(WasmoteError):
    """A spec JSON file could not be read."""


@dataclass(frozen=True)
class CommandOutcome:
    line: int
    type: str
    status: str  # one of STATUSES
    detail: str = ""
    answer: str = ""  # the driver's raw answer (compared between builds)
    # For a passing rejection (invalid/malformed/unlinkable): did our message differ from
    # the spec's expected text? Informational: the spec does not require the wording.
    other_message: bool = False


@dataclass
class FileReport:
    name: str
    outcomes: list[CommandOutcome] = field(default_factory=list)
    driver_error: str = ""

    def counts(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            out.setdefault(o.type, Counter())[o.status] += 1
        return out

    @property
    def failures(self) -> list[CommandOutcome]:
        return [o for o in self.outcomes if o.status == "fail"]

    def failure_text(self, limit: int = 40) -> str:
        fails = self.failures
        lines = [f"{self.name}.wast:{o.line}: {o.type}: {o.detail}" for o in fails[:limit]]
        if len(fails) > limit:
            lines.append(f"... and {len(fails) - limit} more failures")
        if self.driver_error:
            lines.append(f"driver: {self.driver_error}")
        return "\n".join(lines)


# ---- judging values ---------------------------------------------------------------------

_NAN = {
    "f32": (0x7FC00000, 0x7FFFFFFF),
    "f64": (0x7FF8000000000000, 0x7FFFFFFFFFFFFFFF),
}


def value_matches(expected: Mapping[str, Any], got: Value) -> bool:
    """Does a driver value satisfy one `expected` entry of the JSON?"""
    typ = expected["type"]
    if got.type != typ:
        return False
    if "value" not in expected:
        return True
    want = expected["value"]
    if typ in ("f32", "f64") and want.startswith("nan:"):
        quiet, no_sign = _NAN[typ]
        assert got.bits is not None
        if want == "nan:canonical":
            return (got.bits & no_sign) == quiet
        return (got.bits & quiet) == quiet  # nan:arithmetic: quiet bit set, any payload
    if typ in NUM_TYPES:
        return got.bits == int(want)
    if want == "null":
        return got.bits is None
    if typ == "funcref":
        return got.bits is not None  # identities of functions are not observable here
    return got.bits == int(want)


def _arg(v: Mapping[str, Any]) -> str:
    typ = v["type"]
    want = v["value"]
    if want == "null":
        return f"{typ}:null"
    return f"{typ}:{int(want):x}"


# ---- the runner ------------------------------------------------------------------------------


def _module_token(name: str | None) -> str:
    return escape_name(name) if name else "-"


def _action_line(action: Mapping[str, Any]) -> str:
    mod = _module_token(action.get("module"))
    fld = escape_name(action["field"])
    if action["type"] == "get":
        return f"get {mod} {fld}"
    args = " ".join(_arg(a) for a in action.get("args", []))
    return f"invoke {mod} {fld}" + (f" {args}" if args else "")


def can_reset_between_modules(commands: Iterable[Mapping[str, Any]]) -> bool:
    """True when no module is ever needed after the next one is loaded, so the driver may
    drop everything before each module (keeps device and ASan memory small)."""
    for c in commands:
        if c["type"] == "register" or "module" in c.get("action", {}):
            return False
    return True


def _has_message(answer: Answer, text: str) -> bool:
    return text in answer.message


class _Run:
    def __init__(self, stem: str, folder: Path, transport: Transport,
                 exclusions: Exclusions) -> None:
        self.stem = stem
        self.folder = folder
        self.t = transport
        self.exclusions = exclusions

    def send(self, line: str) -> Answer:
        return Answer.parse(self.t.command(line))

    def src(self, filename: str) -> str:
        return self.t.module_source(self.folder / filename)

    def judge(self, c: Mapping[str, Any]) -> tuple[bool, str, str]:
        """Runs one command: (passed, detail, raw answer)."""
        typ = c["type"]
        if typ == "module":
            a = self.send(f"module {_module_token(c.get('name'))} {self.src(c['filename'])}")
            return a.kind == "ok", a.raw, a.raw
        if typ == "register":
            a = self.send(f"register {escape_name(c['as'])} {_module_token(c.get('name'))}")
            return a.kind == "ok", a.raw, a.raw
        if typ == "action":
            a = self.send(_action_line(c["action"]))
            return a.kind == "ok", a.raw, a.raw
        if typ == "assert_return":
            a = self.send(_action_line(c["action"]))
            exp = c["expected"]
            ok = (a.kind == "ok" and len(a.values) == len(exp)
                  and all(value_matches(e, v) for e, v in zip(exp, a.values, strict=True)))
            return ok, f"expected {[e.get('value') for e in exp]}, got {a.raw}", a.raw
        if typ == "assert_trap":
            a = self.send(_action_line(c["action"]))
            ok = a.kind in ("trap", "exhausted") and _has_message(a, c["text"])
            return ok, f"expected trap '{c['text']}', got {a.raw}", a.raw
        if typ == "assert_exhaustion":
            a = self.send(_action_line(c["action"]))
            ok = a.kind == "exhausted" or (a.kind == "trap" and "exhausted" in a.message)
            return ok, f"expected exhaustion, got {a.raw}", a.raw
        if typ in ("assert_invalid", "assert_malformed"):
            a = self.send(f"probe {self.src(c['filename'])}")
            ok = a.kind == "error" and a.error_kind in ("malformed", "invalid")
            return ok, f"expected load failure '{c['text']}', got {a.raw}", a.raw
        if typ == "assert_unlinkable":
            a = self.send(f"probe {self.src(c['filename'])}")
            ok = a.kind == "error" and a.error_kind == "unlinkable"
            return ok, f"expected unlinkable '{c['text']}', got {a.raw}", a.raw
        if typ == "assert_uninstantiable":
            a = self.send(f"probe {self.src(c['filename'])}")
            ok = a.kind in ("trap", "exhausted") and _has_message(a, c["text"])
            return ok, f"expected instantiation trap '{c['text']}', got {a.raw}", a.raw
        raise SpecFileError(f"{self.stem}.json line {c.get('line')}: unknown command {typ}")


def load_commands(json_path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(json_path.read_text())
        commands = data["commands"]
    except (OSError, ValueError, KeyError) as e:
        raise SpecFileError(f"{json_path}: not a wast2json file ({e})") from e
    if not isinstance(commands, list):
        raise SpecFileError(f"{json_path}: 'commands' is not a list")
    return commands


def run_spec_file(json_path: Path, transport: Transport, exclusions: Exclusions | None = None,
                  *, reset_between_modules: bool | None = None) -> FileReport:
    """Runs every command of one JSON file; a driver crash fails the rest of the file."""
    stem = json_path.stem
    commands = load_commands(json_path)
    excl = exclusions or {}
    if reset_between_modules is None:
        reset_between_modules = can_reset_between_modules(commands)
    run = _Run(stem, json_path.parent, transport, excl)
    report = FileReport(stem)
    for c in commands:
        typ = c["type"]
        line = int(c.get("line", 0))
        if typ == "assert_malformed" and c.get("module_type") != "binary":
            report.outcomes.append(CommandOutcome(line, typ, "n/a", "text format"))
            continue
        if (stem, line) in excl:
            report.outcomes.append(CommandOutcome(line, typ, "excluded", excl[(stem, line)]))
            continue
        if report.driver_error:
            report.outcomes.append(CommandOutcome(line, typ, "fail", "driver died earlier"))
            continue
        try:
            if typ == "module" and reset_between_modules:
                run.send("reset")
            passed, detail, raw = run.judge(c)
        except DriverError as e:
            report.driver_error = str(e)
            report.outcomes.append(CommandOutcome(line, typ, "fail", str(e)))
            continue
        report.outcomes.append(
            CommandOutcome(line, typ, "pass" if passed else "fail", "" if passed else detail,
                           raw, passed and _other_message(c, raw)))
    return report


def _other_message(c: Mapping[str, Any], raw: str) -> bool:
    if c["type"] not in ("assert_invalid", "assert_malformed", "assert_unlinkable"):
        return False
    ours = Answer.parse(raw).message
    return not (c["text"] in ours or ours in c["text"])


def summary_table(reports: Iterable[FileReport], title: str = "spec suite") -> str:
    """Pass/fail/excluded/n-a per command type over many files, as a text table."""
    reports = list(reports)
    totals: dict[str, Counter[str]] = {t: Counter() for t in COMMAND_TYPES}
    files = Counter[str]()
    for r in reports:
        files["files"] += 1
        files["files passed"] += 0 if r.failures or r.driver_error else 1
        for typ, cnt in r.counts().items():
            totals.setdefault(typ, Counter()).update(cnt)
    head = f"{'command':<22}" + "".join(f"{s:>10}" for s in STATUSES)
    rows = [f"{title}: {files['files passed']}/{files['files']} files pass", head,
            "-" * len(head)]
    grand: Counter[str] = Counter()
    for typ, cnt in totals.items():
        grand.update(cnt)
        rows.append(f"{typ:<22}" + "".join(f"{cnt[s]:>10}" for s in STATUSES))
    rows.append("-" * len(head))
    rows.append(f"{'total':<22}" + "".join(f"{grand[s]:>10}" for s in STATUSES))
    applicable = grand["pass"] + grand["fail"]
    if applicable:
        rows.append(f"applicable commands passing: {grand['pass']}/{applicable} "
                    f"({100.0 * grand['pass'] / applicable:.2f}%)")
    reworded = sum(o.other_message for r in reports for o in r.outcomes)
    if reworded:
        rows.append(f"rejections passing with other wording than the spec's text: {reworded} "
                    "(informational)")
    return "\n".join(rows)
