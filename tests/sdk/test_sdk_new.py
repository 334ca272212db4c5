"""wasmote new: each language's scaffold builds, with its own build script, into a module
the device accepts under the scaffolded manifest, and runs on this computer as it will on
the device (`wasmote exec` links the host API: no special host build)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.harness.posix_device import PosixDevice
from tests.sdk.sdk_helpers import assert_module_fits_manifest, package_module_bytes
from wasmote.cli import main
from wasmote.device.client import DeviceClient
from wasmote.device.protocol import WireValue
from wasmote.device.transport import SerialTransport
from wasmote.package.manifest import load_manifest
from wasmote.runtime.exec import ExecRequest, exec_module, run_export
from wasmote.sdk.asc import asc_path
from wasmote.sdk.cc import CompileError
from wasmote.sdk.scaffold import new_project


def _build(folder: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["./build.sh"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_new_project_builds_with_its_script_into_a_granted_module(tmp_path):
    r = CliRunner().invoke(main, ["new", "hello_mod", "--dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "hello_mod"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore", "README.md", "build.sh", "main.c", "wasmote.toml"]
    r = CliRunner().invoke(main, ["new", "x", "--dir", str(tmp_path), "--lang", "rust"])
    assert r.exit_code == 2 and "rust" in r.output
    proc = _build(folder)
    assert "note:" not in proc.stderr  # the manifest grants nothing unused
    manifest = load_manifest(folder / "wasmote.toml")
    assert manifest.name == "hello_mod" and manifest.entry == "run"
    pkg_manifest, wasm = package_module_bytes(folder / "hello_mod.wmp")
    assert pkg_manifest == manifest
    assert wasm == (folder / "hello_mod.wasm").read_bytes()
    assert_module_fits_manifest(wasm, manifest)


def test_new_project_runs_on_the_host_with_its_host_calls(tmp_path):
    sc = new_project("pure", tmp_path)
    _build(sc.folder)
    pkg = sc.folder / "pure.wmp"
    assert [v.user() for v in run_export(ExecRequest(pkg, "scale", ("21",)))] == ["i32:42"]
    res = exec_module(ExecRequest(pkg))  # its entry, `run`, logs through the host API
    assert res.logs == ["pure: hello from pure"] and res.exit_code == 0


def test_new_zig_wasi_project(tmp_path):
    sc = new_project("wprog", tmp_path, lang="zig-wasi")
    _build(sc.folder)
    assert (sc.folder / "wprog.debug.wasm").is_file()
    res = exec_module(ExecRequest(sc.folder / "wprog.wmp"))
    assert res.exit_code == 0 and res.stdout.startswith(
        b"hello from wprog, 0 argument(s)\nv[3] = 1.50, uptime "), res


def test_new_assemblyscript_project(tmp_path):
    try:
        asc_path()
    except CompileError as e:
        pytest.skip(str(e))
    sc = new_project("asmod", tmp_path, lang="assemblyscript")
    assert sc.source == sc.folder / "assembly" / "index.ts"
    _build(sc.folder)
    res = exec_module(ExecRequest(sc.folder / "asmod.wmp"))
    assert res.logs == ["asmod: trace: hello from asmod"] and res.exit_code == 0
    got = run_export(ExecRequest(sc.folder / "asmod.wmp", "scale", ("21",)))
    assert [v.user() for v in got] == ["i32:42"]


def test_new_refuses_to_overwrite_and_bad_names(tmp_path):
    new_project("twice", tmp_path)
    (tmp_path / "twice" / "main.c").write_text("/* mine */\n")
    r = CliRunner().invoke(main, ["new", "twice", "--dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "already exists (use --force" in r.output
    assert (tmp_path / "twice" / "main.c").read_text() == "/* mine */\n"
    r = CliRunner().invoke(main, ["new", "twice", "--dir", str(tmp_path), "--force"])
    assert r.exit_code == 0 and "mine" not in (tmp_path / "twice" / "main.c").read_text()
    r = CliRunner().invoke(main, ["new", "bad name!", "--dir", str(tmp_path)])
    assert r.exit_code == 2 and "bad module name" in r.output
    assert not (tmp_path / "bad name!").exists()
    r = CliRunner().invoke(main, ["new", "drv", "--dir", str(tmp_path), "--template",
                                  "i2c-sensor", "--lang", "zig-wasi"])
    assert r.exit_code == 2 and "the i2c-sensor template is in C: use --lang c" in r.output
    assert not (tmp_path / "drv").exists()


def test_i2c_sensor_template_reads_the_simulated_sensor(tmp_path):
    """`new --template i2c-sensor` builds with its script into a driver that reads the
    posix device's SIMULATED TMP105 (temp0), whose temperature the test sets in a file."""
    r = CliRunner().invoke(main, ["new", "thermo", "--dir", str(tmp_path),
                                  "--template", "i2c-sensor"])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "thermo"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["./build.sh"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "note:" not in proc.stderr  # it uses every grant
    manifest = load_manifest(folder / "wasmote.toml")
    assert str(manifest.capabilities[0]) == "i2c:temp0"
    for f in ("main.c", "wasmote.toml", "README.md"):  # no docs/ in the user's folder
        assert not re.search(r"(?<![\w/])docs/", (folder / f).read_text()), f
    temp = tmp_path / "temp.txt"
    temp.write_text("-12625\n")
    with PosixDevice(tmp_path / "flash.bin", tmp105=temp) as dev:
        c = DeviceClient(SerialTransport(dev.url), timeout=5.0)
        try:
            c.push("thermo", (folder / "thermo.wmp").read_bytes())
            assert c.run("thermo", "read", []) == [WireValue("i32", (-12625) & 0xFFFFFFFF)]
        finally:
            c.transport.close()
