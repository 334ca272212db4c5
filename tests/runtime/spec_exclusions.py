"""Spec-suite commands the runtime is allowed to fail, each with its reason.

Keys are (file stem, line in the .wast file). Every entry needs a reason a reader can check.
"""

from __future__ import annotations

EXCLUSIONS: dict[tuple[str, int], str] = {}
