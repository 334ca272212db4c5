"""posix_build: cached builds of the core + posix programs, compiler errors, Cortex-M4 size."""

from __future__ import annotations

import subprocess

import pytest

from wasmote import posix_build
from wasmote.errors import WasmoteError
from wasmote.posix_build import BuildError, Program

MAIN = r"""
#include <stdio.h>
#include "wasmote.h"
int main(void) { printf("%s %d\n", wm_err_name(WM_ERR_TRAP), VERSION); return 0; }
"""


@pytest.fixture
def private_build_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(posix_build, "BUILD_DIR", tmp_path / "build")
    return tmp_path


def test_spec_driver_builds_and_is_cached(spec_driver_release):
    again = posix_build.build_program("wasmote-spec", "release")
    assert again == spec_driver_release
    stamp = again.with_name("wasmote-spec.stamp")
    before = (again.stat().st_mtime_ns, stamp.read_text())
    assert posix_build.build_program("wasmote-spec", "release") == again
    assert (again.stat().st_mtime_ns, stamp.read_text()) == before


def test_source_or_own_header_change_rebuilds(private_build_dir):
    # A program's own include folder counts too: a test's (tests/harness/c) is outside
    # firmware/, where the core's headers are.
    inc = private_build_dir / "inc"
    inc.mkdir()
    src = private_build_dir / "probe_main.c"
    prog = Program("probe", (str(src),), (str(inc),))

    def version() -> str:
        exe = posix_build.build_program(prog, "release")
        return subprocess.run([exe], capture_output=True, text=True).stdout.split()[1]

    (inc / "probe.h").write_text("#define VERSION 1\n")
    src.write_text('#include "probe.h"\n' + MAIN)
    assert version() == "1"
    (inc / "probe.h").write_text("#define VERSION 2\n")
    assert version() == "2"  # the header alone changed
    src.write_text('#include "probe.h"\n' + MAIN.replace("VERSION)", "VERSION + 1)"))
    assert version() == "3"  # the source alone changed


def test_compile_error_carries_compiler_message(private_build_dir):
    src = private_build_dir / "broken_main.c"
    src.write_text("int main(void) { return undeclared_thing; }\n")
    with pytest.raises(BuildError) as e:
        posix_build.build_program(Program("broken", (str(src),)), "release")
    assert "undeclared_thing" in str(e.value)
    assert "broken_main.c" in e.value.one_line() and "error" in e.value.one_line()


def test_unknown_variant_is_a_clear_error():
    with pytest.raises(WasmoteError, match="unknown posix build variant"):
        posix_build.build_program("wasmote-spec", "turbo")


def test_cortex_m4_size_of_the_runtime():
    rep = posix_build.arm_core_size(("runtime",))
    assert rep.objects and rep.text > 1000
    assert all(o.name.endswith(".o") for o in rep.objects)
    assert "-mcpu=cortex-m4" in rep.flags and "-Os" in rep.flags


def test_cortex_m4_linked_image():
    linked = posix_build.arm_linked_size()
    assert 0 < linked.driver_text < linked.text
    assert 1000 < linked.runtime_flash < linked.text
