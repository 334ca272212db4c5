"""The module store in C: unit checks and power cuts at every flash operation."""

from __future__ import annotations

import re
import subprocess

from tests.protocol.conftest import CORE, build_c_test


def test_store_survives_a_power_cut_at_every_flash_operation() -> None:
    exe = build_c_test("store_powercut", [CORE / "store" / "store.c",
                                          *sorted((CORE / "base").glob("*.c")),
                                          CORE / "crypto" / "sha256.c"])
    proc = subprocess.run([str(exe)], capture_output=True, text=True, check=False,
                          timeout=120)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "unit: failures=0" in out
    rows = re.findall(r"^(\S+): cut points=(\d+) old=(\d+) new=(\d+) inconsistent=(\d+)$",
                      out, re.M)
    labels = {r[0] for r in rows}
    for scenario in ("replace", "install", "remove", "replace-wrapped", "install-tail",
                     "replace-tail", "compaction"):
        assert scenario in labels and scenario + "+partial" in labels
    for label, cuts, old, new, bad in rows:
        assert int(bad) == 0, label
        assert int(old) + int(new) == int(cuts), label
        assert int(new) >= 1, label  # the uncut end state is reached
        if label.startswith(("replace", "install", "compaction")):
            assert int(cuts) >= 10 and int(old) >= 5, label  # many cuts did hit mid-install
