"""wasmote new: the scaffold builds, with its own build script, into a module the device
accepts under the scaffolded manifest."""

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.sdk.sdk_helpers import assert_module_fits_manifest, package_module_bytes
from wasmote.cli import main
from wasmote.package.manifest import load_manifest
from wasmote.runtime.exec import ExecRequest, run_export
from wasmote.sdk.scaffold import new_project


def test_new_project_builds_with_its_script_into_a_granted_module(tmp_path):
    r = CliRunner().invoke(main, ["new", "hello_mod", "--dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "hello_mod"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore", "README.md", "build.sh", "main.c", "wasmote.toml"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["./build.sh"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "note:" not in proc.stderr  # the manifest grants nothing unused
    manifest = load_manifest(folder / "wasmote.toml")
    assert manifest.name == "hello_mod" and manifest.entry == "run"
    pkg_manifest, wasm = package_module_bytes(folder / "hello_mod.wmp")
    assert pkg_manifest == manifest
    assert wasm == (folder / "hello_mod.wasm").read_bytes()
    assert_module_fits_manifest(wasm, manifest)


def test_new_project_pure_build_runs_on_the_host(tmp_path):
    sc = new_project("pure", tmp_path)
    out = tmp_path / "pure.wasm"
    r = CliRunner().invoke(main, ["cc", str(sc.source), "-DHOST_TEST", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert [v.user() for v in run_export(ExecRequest(out, "scale", ("21",)))] == ["i32:42"]


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
