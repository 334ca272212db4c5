"""The firmware's one build description (firmware/build.json): every build reads it.

A flag planted in a copy of the description must reach each build that compiles the
firmware's C: PlatformIO's builder (its own compile flags, as `pio project metadata` reports
them), the posix build (its programs and the posix device), the Cortex-M4 size build, the
fuzzers and the bench's bare-metal images. A build that went back to its own list of flags
fails here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from bench import bare_image
from tests.campaigns import fuzz
from wasmote import build_desc as build_desc_mod
from wasmote import firmware, posix_build
from wasmote.build_desc import BuildDescError, build_desc, parse_build_desc
from wasmote.paths import BOARDS_DIR, FIRMWARE_DIR

PLANTED_DEFINE = "WM_PLANTED_BY_TEST=1"
PLANTED_WARNING = "-Wshadow"


def test_build_desc_lists_every_core_component_and_existing_folders():
    desc = build_desc()
    on_disk = {p.name for p in desc.core_dir.iterdir() if p.is_dir()}
    assert set(desc.components) == on_disk, "firmware/build.json 'components' vs src/core/"
    assert all(d.is_dir() for d in desc.include_paths())
    assert set(fuzz.COMPONENTS) <= set(desc.components)
    assert posix_build.core_sources() and all(
        s.relative_to(desc.core_dir).parts[0] in desc.components
        for s in posix_build.core_sources())


def test_build_desc_refuses_a_malformed_description(tmp_path):
    bad = tmp_path / "build.json"
    bad.write_text(json.dumps({"components": "runtime", "target": {}}))
    with pytest.raises(BuildDescError, match=r"build\.json: 'components' must be a list"):
        parse_build_desc(bad)
    bad.write_text("{")
    with pytest.raises(BuildDescError, match="cannot read"):
        parse_build_desc(bad)


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A copy of firmware/ and boards/ whose build description carries one more define and
    one more warning; the host builds read it."""
    fw = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, fw, ignore=shutil.ignore_patterns(".pio"))
    shutil.copytree(BOARDS_DIR, tmp_path / "boards")
    raw = json.loads((fw / "build.json").read_text())
    raw["defines"].append(PLANTED_DEFINE)
    raw["warnings"].append(PLANTED_WARNING)
    (fw / "build.json").write_text(json.dumps(raw))
    monkeypatch.setattr(build_desc_mod, "BUILD_DESC", fw / "build.json")
    build_desc.cache_clear()
    yield fw
    build_desc.cache_clear()


def _has_plant(flags: list[str]) -> bool:
    return f"-D{PLANTED_DEFINE}" in flags and PLANTED_WARNING in flags


def test_build_desc_planted_flag_reaches_the_host_builds(planted):
    release = posix_build.VARIANTS["release"]
    assert _has_plant(posix_build.compile_flags(release))
    assert _has_plant(posix_build.arm_flags())
    assert _has_plant(fuzz.compile_flags("asan"))
    board = bare_image.load_board_json("riscv32-virt")
    flags = bare_image.compile_flags(board, "riscv32-virt", "-O2")
    assert _has_plant(flags) and "-O2" in flags and "-Os" not in flags
    assert f"-I{planted / 'src' / 'core' / 'runtime'}" in flags
    assert set(build_desc().link) <= set(bare_image.target_link_flags(board))


def test_build_desc_planted_flag_reaches_the_platformio_builder(planted, tmp_path):
    """PlatformIO in a core dir of its own (the copy's platform is a second wasmote-qemu)."""
    core = tmp_path / "pio-core"
    firmware.ensure_tool_scons(core)
    env = {**firmware.pio_environ(), "PLATFORMIO_CORE_DIR": str(core),
           "PLATFORMIO_BUILD_DIR": str(tmp_path / "build")}
    proc = subprocess.run([sys.executable, "-m", "platformio", "project", "metadata", "-d",
                           str(planted), "-e", "mps2-an386", "--json-output"], env=env,
                          capture_output=True, text=True, check=False, timeout=600,
                          cwd=os.fspath(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    meta = json.loads(proc.stdout)["mps2-an386"]
    assert PLANTED_DEFINE in meta["defines"]
    assert PLANTED_WARNING in meta["cc_flags"]
    desc = build_desc()
    assert [desc.optimize, *desc.codegen] == [
        f for f in meta["cc_flags"] if f in (desc.optimize, *desc.codegen)]
    assert [str(p) for p in desc.include_paths()] == meta["includes"]["build"]

