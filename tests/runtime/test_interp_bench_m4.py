"""The M4 interpreter bench (bench/interp_m4): its link-map accounting, and our engines' images
under QEMU with the right checksum: in place from flash, and pre-decoded (translated once at
load). Numbers are the bench's business (docs/performance.md); this keeps the images and
the parser from rotting.
(wasm3's image needs its sdist from PyPI, fetched by the bench, so it is not built here.)"""

from __future__ import annotations

import pytest

from bench.interp import run_wasmtime
from bench.interp_m4.image import footprints
from bench.interp_m4.measure import BOARD, EngineRun, module_of, run_engine
from bench.workloads import EMPTY, by_name

MAP = """\
Discarded input sections

 .text.unused   0x00000000       0x40 /b/001_loader.c.o

Memory Configuration

Linker script and memory map

.text           0x00000000     0x1000
 *(.text .text.*)
 .text.wm_load  0x00000100       0x80 /b/001_loader.c.o
 .text.a_rather_long_function_name_that_ld_puts_on_its_own_line
                0x00000180       0x20 /b/001_loader.c.o
                0x00000180                a_rather_long_function_name
 *fill*         0x000001a0        0x4
 .rodata.table  0x000001a4       0x10 /b/002_interp.c.o
 .text          0x000001b4       0x30 /usr/lib/libm.a(lib_a-s_floor.o)
.data           0x20000000        0x8 load address 0x000001e4
 .data.x        0x20000000        0x8 /b/002_interp.c.o
.bss            0x20000008       0x14
 .bss.y         0x20000008        0x4 /b/001_loader.c.o
 COMMON         0x2000000c       0x10 /b/002_interp.c.o
"""


def test_link_map_footprints(tmp_path):
    path = tmp_path / "image.map"
    path.write_text(MAP)
    fp = footprints(path)
    assert (fp["/b/001_loader.c.o"].flash, fp["/b/001_loader.c.o"].ram) == (0xA0, 4)
    assert (fp["/b/002_interp.c.o"].flash, fp["/b/002_interp.c.o"].ram) == (0x18, 0x18)
    assert fp["/usr/lib/libm.a(lib_a-s_floor.o)"].flash == 0x30
    assert len(fp) == 3


def _crc32_on(engine: str) -> EngineRun:
    """crc32 and the empty kernel on `engine`'s image, crc32's checksum wasmtime's."""
    crc32 = by_name("crc32")
    res = run_engine(engine, [module_of(crc32), module_of(EMPTY)])
    assert res.run["crc32"][0] == run_wasmtime(crc32.wasm(), crc32.m4_n)
    assert res.warm["crc32"][0] == res.run["crc32"][0]
    assert res.run["empty"][0] == 1
    return res


@pytest.mark.qemu
@pytest.mark.slow
def test_our_engine_image_runs_the_module_from_flash():
    res = _crc32_on("ours")
    assert res.heap["crc32"] > 64 * 1024  # at least the 64 KiB value stack
    assert 0 < res.stack["crc32"] < 4096
    assert 16 * 1024 < res.footprint.flash < 128 * 1024
    assert res.instructions(res.run["crc32"][1]) > res.instructions(res.run["empty"][1])
    assert not res.install  # in place: nothing translated
    assert BOARD == "mps2-an386"


@pytest.mark.qemu
@pytest.mark.slow
def test_predecoded_engine_image_translates_once_then_runs_the_form():
    res = _crc32_on("pd")
    # the install line: the module was translated (not left in place) and its form kept
    assert res.install["crc32"] > 0
    assert 0 < res.form["crc32"] < res.heap["crc32"]
    assert res.install.keys() == {"crc32", "empty"}
