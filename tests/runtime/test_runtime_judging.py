"""The spec runner's judgement, fed by a scripted stand-in for the driver (the real driver is
exercised by test_runtime_spec.py; here each verdict rule is pinned down, including the
failures the real suite never shows)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.harness.spec_driver import DriverError
from tests.harness.spec_runner import run_spec_file, summary_table


class ScriptedDriver:
    """Answers commands from a list, in order; records what it was sent."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    def module_source(self, path: Path) -> str:
        return path.name

    def command(self, line: str) -> str:
        self.sent.append(line)
        if not self.answers:
            raise DriverError("driver died")
        return self.answers.pop(0)


def write(tmp_path: Path, commands: list[dict[str, Any]]) -> Path:
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"source_filename": "t.wast", "commands": commands}))
    return p


def inv(field: str, *args: tuple[str, str]) -> dict[str, Any]:
    return {"type": "invoke", "field": field,
            "args": [{"type": t, "value": v} for t, v in args]}


def test_verdicts(tmp_path):
    cmds = [
        {"type": "module", "line": 1, "filename": "t.0.wasm"},
        {"type": "assert_return", "line": 2, "action": inv("f", ("i32", "4294967295")),
         "expected": [{"type": "f32", "value": "nan:canonical"}]},
        {"type": "assert_return", "line": 3, "action": inv("f"),
         "expected": [{"type": "f32", "value": "nan:canonical"}]},
        {"type": "assert_trap", "line": 4, "action": inv("g"), "text": "integer divide by zero",
         "expected": []},
        {"type": "assert_trap", "line": 5, "action": inv("g"), "text": "unreachable",
         "expected": []},
        {"type": "assert_malformed", "line": 6, "filename": "t.1.wat", "text": "x",
         "module_type": "text"},
        {"type": "assert_invalid", "line": 7, "filename": "t.2.wasm", "text": "type mismatch",
         "module_type": "binary"},
        {"type": "assert_unlinkable", "line": 8, "filename": "t.3.wasm", "text": "unknown import",
         "module_type": "binary"},
        {"type": "assert_return", "line": 9, "action": inv("h"), "expected": []},
        {"type": "assert_exhaustion", "line": 10, "action": inv("r"),
         "text": "call stack exhausted", "expected": []},
        {"type": "assert_return", "line": 11, "action": inv("h"), "expected": []},
    ]
    drv = ScriptedDriver([
        "ok", "ok",                                  # reset, module
        "ok f32:ffc00000",                           # canonical NaN, either sign: pass
        "ok f32:7fc00001",                           # arithmetic only: fail
        "trap integer divide by zero",               # pass
        "trap integer overflow",                     # wrong trap: fail
        "error invalid 1a some other words",         # invalid: pass, reworded
        "error malformed 8 unexpected end",          # unlinkable expected: fail
        # line 9 is excluded, line 10:
        "exhausted call stack exhausted",
    ])
    report = run_spec_file(write(tmp_path, cmds), drv, {("t", 9): "a reason"})
    status = {o.line: o.status for o in report.outcomes}
    assert status == {1: "pass", 2: "pass", 3: "fail", 4: "pass", 5: "fail", 6: "n/a",
                      7: "pass", 8: "fail", 9: "excluded", 10: "pass", 11: "fail"}
    assert drv.sent[:3] == ["reset", "module - t.0.wasm", "invoke - f i32:ffffffff"]
    assert drv.sent[6] == "probe t.2.wasm"
    assert report.driver_error == "driver died"  # line 11 found the driver gone
    reworded = [o.line for o in report.outcomes if o.other_message]
    assert reworded == [7]
    table = summary_table([report], "t")
    assert "0/1 files pass" in table and "assert_trap" in table
    assert "applicable commands passing: 5/9" in table


def test_no_reset_when_modules_are_linked(tmp_path):
    cmds = [{"type": "module", "line": 1, "name": "$a", "filename": "a.wasm"},
            {"type": "register", "line": 2, "name": "$a", "as": "A"},
            {"type": "module", "line": 3, "filename": "b.wasm"},
            {"type": "action", "line": 4, "action": {"type": "get", "module": "$a",
                                                    "field": "g h"}}]
    drv = ScriptedDriver(["ok", "ok", "ok", "ok i32:1"])
    report = run_spec_file(write(tmp_path, cmds), drv)
    assert [o.status for o in report.outcomes] == ["pass"] * 4
    assert drv.sent == ["module $a a.wasm", "register A $a", "module - b.wasm", "get $a g%20h"]
