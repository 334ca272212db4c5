"""Spec-suite commands AOT-compiled code is allowed to fail, each with its reason.

Keys are (file stem, line in the .wast file). The interpreter's exclusions apply too (the
same runtime reports the same trap texts); there are no AOT-specific ones.
"""

from __future__ import annotations

from tests.runtime.spec_exclusions import EXCLUSIONS as RUNTIME_EXCLUSIONS

AOT_ONLY: dict[tuple[str, int], str] = {}

EXCLUSIONS: dict[tuple[str, int], str] = {**RUNTIME_EXCLUSIONS, **AOT_ONLY}
