"""Where the spec-suite tests leave their per-file reports for the session summary."""

from __future__ import annotations

import pytest

from tests.harness.spec_runner import FileReport

# variant ("release", "asan") -> file name -> report
REPORTS_KEY = pytest.StashKey[dict[str, dict[str, FileReport]]]()


def reports(config: pytest.Config) -> dict[str, dict[str, FileReport]]:
    return config.stash.setdefault(REPORTS_KEY, {})
