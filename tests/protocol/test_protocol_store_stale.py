"""Stale image bytes in the module store are never read as a record header
(tests/protocol/c/store_stale.c): a removed or refused record's image may hold forged
headers, which a mount must never reach, after a power cut while its space is reused or
after the full record table forgot it."""

from __future__ import annotations

import re
import subprocess

from tests.protocol.conftest import CORE, build_c_test


def test_a_forged_header_in_an_image_never_replaces_a_module() -> None:
    exe = build_c_test("store_stale", [CORE / "store" / "store.c",
                                       *sorted((CORE / "base").glob("*.c")),
                                       CORE / "crypto" / "sha256.c"])
    proc = subprocess.run([str(exe)], capture_output=True, text=True, check=False,
                          timeout=120)
    out = proc.stdout
    rows = dict(re.findall(r"^(\S+): .*app lost=(\d+)$", out, re.M))
    assert set(rows) == {"erase-order", "erase-order+partial", "forgotten"}, out
    assert rows == dict.fromkeys(rows, "0"), out
    assert proc.returncode == 0, out + proc.stderr
