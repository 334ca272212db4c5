"""The loader's check that export names are unique costs n log n, not n^2.

Counted in instructions (callgrind, only inside `wm_load_metered`) on the posix release build of
the sandbox harness. Comparing each name with every earlier one (as it did) made 8 times
the exports ~64 times dearer: 4000 exports, a 24 KB module, took 282 M instructions on
the Cortex-M4 (11 s at 25 MHz, past the 2 s watchdog; bench/install_worst.py).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bench.install_worst import HEADER, VOID, _section, _vec, exports
from tests.sandbox.sandbox_support import package
from tests.sandbox.test_sandbox_link_cost import link_instructions, release_harness
from wasmote.wasm.leb128 import encode_unsigned as uleb

__all__ = ["release_harness"]  # the fixture, shared


def test_export_names_check_grows_as_n_log_n(release_harness: Path, tmp_path: Path) -> None:
    # up to the loader's cap (WM_MAX_EXPORTS, 1024)
    one = link_instructions(release_harness, tmp_path, exports(128), ("wm_load_metered",))
    eight = link_instructions(release_harness, tmp_path, exports(1024), ("wm_load_metered",))
    # n log n: ~11.4 times; n^2: 64 times
    assert eight < one * 16, (one, eight)


def test_a_duplicate_export_name_is_refused_at_its_second_copy(release_harness: Path,
                                                               tmp_path: Path) -> None:
    names = [uleb(1) + bytes([0x41 + i]) + b"\x00\x00" for i in range(20)]
    names.insert(3, names[17])  # "R" again: the 19th export (index 18) is the duplicate
    body = _vec(names)
    before = HEADER + _section(1, _vec([VOID])) + _section(3, _vec([b"\x00"]))
    wasm = before + _section(7, body) + _section(10, _vec([b"\x02\x00\x0b"]))
    second = len(before) + 1 + len(uleb(len(body))) + 1 + 4 * 18  # its entry, in the module
    res = subprocess.run([str(release_harness)], capture_output=True, text=True, timeout=60,
                         input=f"install 0 {_write(tmp_path, wasm)}\n", check=True)
    m = re.match(r"refused \d+ 0x([0-9a-f]+) duplicate export name", res.stdout)
    assert m is not None, res.stdout
    pkg = package(wasm, "exports", [])
    assert int(m.group(1), 16) == pkg.index(wasm) + second, (res.stdout, second)


def _write(tmp: Path, wasm: bytes) -> Path:
    out = tmp / "dup.wmp"
    out.write_bytes(package(wasm, "exports", []))
    return out
