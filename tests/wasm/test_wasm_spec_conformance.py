"""Conformance against the official WebAssembly core spec suite (2.0, no SIMD).

For every JSON file: each binary `module` (and each assert_unlinkable /
assert_uninstantiable module) must read and validate; each binary `assert_malformed` must
be rejected by the reader; each `assert_invalid` must read and then be rejected by the
validator. Text (.wat) assert_malformed modules are not applicable to a binary reader.
Runtime commands (assert_return, assert_trap, ...) are not this toolkit's job.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import SPEC_JSON_DIR
from tests.wasm.spec_exclusions import EXCLUSIONS
from wasmote.wasm.errors import MalformedError, ValidationError
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module

MUST_LOAD = ("module", "assert_unlinkable", "assert_uninstantiable")
KINDS = (*MUST_LOAD, "assert_malformed", "assert_invalid")
JSON_FILES = sorted(p.parent.name for p in SPEC_JSON_DIR.glob("*/*.json"))


@dataclass
class FileResult:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    message_matches: int = 0
    rejections: int = 0


def _outcome(path: Path) -> tuple[str, str]:
    """("ok"|"malformed"|"invalid", message)."""
    try:
        mod = read_module(path.read_bytes())
    except MalformedError as e:
        return "malformed", e.message
    try:
        validate_module(mod)
    except ValidationError as e:
        return "invalid", e.message
    return "ok", ""


def run_file(json_path: Path) -> FileResult:
    res = FileResult()
    for cmd in json.loads(json_path.read_text())["commands"]:
        kind = cmd["type"]
        if kind not in KINDS:
            continue
        if kind == "assert_malformed" and cmd["module_type"] != "binary":
            res.counts[(kind, "n/a")] += 1
            continue
        name = cmd["filename"]
        got, message = _outcome(json_path.parent / name)
        want = {"assert_malformed": "malformed", "assert_invalid": "invalid"}.get(kind, "ok")
        if got == want:
            res.counts[(kind, "passed")] += 1
            if want != "ok":
                res.rejections += 1
                res.message_matches += message.startswith(cmd["text"])
        elif name in EXCLUSIONS:
            res.counts[(kind, "excluded")] += 1
        else:
            res.counts[(kind, "failed")] += 1
            res.failures.append(f"{name} (line {cmd['line']}): {kind} expected {want}"
                                f" ({cmd.get('text', '')}), got {got}: {message}")
    return res


@pytest.fixture(scope="module")
def conformance(spec_json_dir: Path) -> dict[str, FileResult]:
    return {name: run_file(spec_json_dir / name / f"{name}.json") for name in JSON_FILES}


@pytest.mark.parametrize("name", JSON_FILES)
def test_spec_file(conformance: dict[str, FileResult], name: str) -> None:
    res = conformance[name]
    assert not res.failures, "\n".join(res.failures)


def test_spec_summary(conformance: dict[str, FileResult],
                      capsys: pytest.CaptureFixture[str]) -> None:
    total: Counter[tuple[str, str]] = Counter()
    matches = rejections = 0
    for res in conformance.values():
        total.update(res.counts)
        matches += res.message_matches
        rejections += res.rejections
    lines = [f"spec conformance over {len(conformance)} files "
             "(text assert_malformed: not applicable to a binary reader)",
             f"{'command':24}{'passed':>8}{'failed':>8}{'excluded':>10}{'n/a':>6}"]
    for kind in KINDS:
        row = [total[(kind, s)] for s in ("passed", "failed", "excluded", "n/a")]
        lines.append(f"{kind:24}{row[0]:>8}{row[1]:>8}{row[2]:>10}{row[3]:>6}")
    lines.append(f"rejections whose message starts with the suite's text: {matches}/{rejections}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert sum(total[(k, "failed")] for k in KINDS) == 0
    assert total[("module", "passed")] > 1000  # the suite really ran
    assert sum(total[(k, "excluded")] for k in KINDS) == len(EXCLUSIONS)
