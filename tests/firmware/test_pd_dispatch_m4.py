"""The pre-decoded run loop on the Cortex-M4 keeps one dispatch jump per handler.

The firmware is compiled -Os, at which GCC merges the run loop's computed gotos into one
shared indirect jump that every handler branches back to (bench.interp_m4: 1.02x wasm3's
instructions on the kernels with it, 0.81x without). interp_pd.c compiles `wm_run_pd` for
speed; this compiles the file as the firmware does and counts its indirect jumps."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bench.bare_image import load_board_json
from wasmote.build_desc import build_desc
from wasmote.paths import FIRMWARE_DIR

BOARD = "mps2-an386"
HANDLERS_AT_LEAST = 150   # 211 with GCC 12 today; 1 when the jumps are merged
INDIRECT_JUMP = re.compile(r"\sbx\s+r\d+\b")   # `bx lr`, the returns, does not match


def test_pd_run_loop_has_a_dispatch_jump_per_handler_at_os(tmp_path: Path):
    desc = build_desc()
    board_cflags = load_board_json(BOARD)["build"]["cflags"].split()
    obj = tmp_path / "interp_pd.o"
    src = FIRMWARE_DIR / "src" / "core" / "runtime" / "interp_pd.c"
    subprocess.run(["arm-none-eabi-gcc", *desc.target_flags(), *desc.include_flags(),
                    *board_cflags, "-DWM_PREDECODE=1", "-c", str(src), "-o", str(obj)],
                   check=True)
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", "--disassemble=wm_run_pd", str(obj)],
                         check=True, capture_output=True, text=True).stdout
    jumps = len(INDIRECT_JUMP.findall(dis))
    assert jumps >= HANDLERS_AT_LEAST, f"wm_run_pd has {jumps} indirect jumps at -Os"
