import os
import stat

import pytest

from tests.cli_invoke import assert_one_error_line as _one_error_line
from tests.cli_invoke import run_cli as run
from wasmote.package.container import read_package
from wasmote.package.describe import describe_package

from .helpers import BLINKY_TOML, BLINKY_WAT, wat_to_wasm


@pytest.fixture
def work(tmp_path, monkeypatch):
    (tmp_path / "m.wasm").write_bytes(wat_to_wasm(BLINKY_WAT, tmp_path))
    (tmp_path / "m.toml").write_text(BLINKY_TOML)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_full_flow(work):
    r = run("keys", "generate", "-o", "dev")
    assert r.exit_code == 0, r.output
    assert "key id" in r.output
    assert stat.S_IMODE(os.stat(work / "dev.key").st_mode) == 0o600
    r = run("package", "m.wasm", "--manifest", "m.toml", "--key", "dev.key", "-o", "m.wmp")
    assert r.exit_code == 0, r.output
    assert "blinky 1.2.3" in r.output and "signed by key" in r.output
    pkg = read_package(work / "m.wmp")
    assert pkg.manifest.name == "blinky" and pkg.signature is not None
    r = run("verify", "m.wmp", "--pubkey", "dev.pub")
    assert r.exit_code == 0 and "ok, blinky 1.2.3 signed by trusted key" in r.output
    text = describe_package(work / "m.wmp")
    for fragment in ["blinky 1.2.3", "grants      log, gpio:led0", "wasmote.log",
                     "wasmote.gpio_write", "(verified)", "signature valid"]:
        assert fragment in text
    r = run("keys", "show", "dev.key")
    assert r.exit_code == 0 and r.output == run("keys", "show", "dev.pub").output


def test_unsigned_then_sign(work):
    assert run("keys", "generate", "-o", "a", "--format", "raw").exit_code == 0
    assert run("keys", "generate", "-o", "b").exit_code == 0
    r = run("package", "m.wasm", "-m", "m.toml", "-o", "m.wmp")
    assert r.exit_code == 0 and "unsigned" in r.output
    _one_error_line(run("verify", "m.wmp", "-p", "a.pub"), "error: package is not signed")
    r = run("sign", "m.wmp", "--key", "a.key")
    assert r.exit_code == 0, r.output
    assert run("verify", "m.wmp", "-p", "b.pub", "-p", "a.pub").exit_code == 0
    _one_error_line(run("verify", "m.wmp", "-p", "b.pub"), "which is not a trusted key")
    r = run("sign", "m.wmp", "--key", "b.key", "-o", "m2.wmp")
    assert "replaced the earlier signature" in r.output
    assert run("verify", "m2.wmp", "-p", "b.pub").exit_code == 0


def test_tampered_package(work):
    run("keys", "generate", "-o", "k")
    run("package", "m.wasm", "-m", "m.toml", "-k", "k.key", "-o", "m.wmp")
    data = bytearray((work / "m.wmp").read_bytes())
    data[60] ^= 0x40
    (work / "bad.wmp").write_bytes(bytes(data))
    _one_error_line(run("verify", "bad.wmp", "-p", "k.pub"), "content hash mismatch")
    r = run("sign", "bad.wmp", "-k", "k.key")
    _one_error_line(r, "bad.wmp:0x")
    assert (work / "bad.wmp").read_bytes() == bytes(data)  # nothing lost or rewritten


def test_errors_are_one_line(work):
    (work / "nolog.toml").write_text(BLINKY_TOML.replace('"log", ', ""))
    _one_error_line(run("package", "m.wasm", "-m", "nolog.toml", "-o", "x.wmp"),
                    "m.wasm: import wasmote.log (i32, i32) -> (i32): not granted by the "
                    "manifest")
    assert not (work / "x.wmp").exists()
    (work / "bad.toml").write_text("name = ")
    _one_error_line(run("package", "m.wasm", "-m", "bad.toml", "-o", "x.wmp"),
                    "bad.toml: invalid TOML")
    (work / "junk.wasm").write_bytes(b"\0asm\2\0\0\0")
    _one_error_line(run("package", "junk.wasm", "-m", "m.toml", "-o", "x.wmp"),
                    "junk.wasm:0x4: ")
    _one_error_line(run("package", "nope.wasm", "-m", "m.toml", "-o", "x.wmp"),
                    "nope.wasm: cannot read")
    _one_error_line(run("verify", "m.wasm", "-p", "m.toml"), "m.toml: not a key file")
    run("keys", "generate", "-o", "k")
    _one_error_line(run("keys", "generate", "-o", "k"), "k.key already exists")
    _one_error_line(run("sign", "m.wasm", "-k", "k.key"), "bare wasm module")
    _one_error_line(run("package", "m.wasm", "-m", "m.toml", "-k", "k.pub", "-o", "x.wmp"),
                    "this is a public key")


def test_inspect_dispatches_on_magic(work):
    run("keys", "generate", "-o", "k")
    run("package", "m.wasm", "-m", "m.toml", "-k", "k.key", "-o", "m.wmp")
    r = run("inspect", "m.wmp")
    assert r.exit_code == 0, r.output
    for fragment in ["wasmote package, format 1", "blinky 1.2.3", "grants      log, gpio:led0",
                     "hash        sha256", "signed by key"]:
        assert fragment in r.output
    r = run("inspect", "m.wmp", "--json")
    assert r.exit_code == 0 and '"capabilities": [' in r.output
    data = bytearray((work / "m.wmp").read_bytes())
    (work / "cut.wmp").write_bytes(bytes(data[:50]))
    _one_error_line(run("inspect", "cut.wmp"), "cut.wmp:0x32: truncated")
    assert run("inspect", "m.wasm").exit_code == 0  # plain modules still go to the toolkit


UNUSED_IMPORT_WAT = """
(module
  (import "wasmote" "time_ms" (func $t (result i64)))
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (call $log (i32.const 0) (i32.const 1))))
"""


def test_strip_drops_unused_imports_before_the_grant_check(work):
    pytest.importorskip("wasmote.wasm.strip", reason="the strip tool has not landed yet")
    (work / "u.wasm").write_bytes(wat_to_wasm(UNUSED_IMPORT_WAT, work))
    (work / "u.toml").write_text('name = "u"\nversion = "1.0.0"\ncapabilities = ["log"]\n')
    r = run("package", "u.wasm", "-m", "u.toml", "-o", "u.wmp")
    assert r.exit_code == 0 and "stripped" in r.output, r.output
    assert "time_ms" not in describe_package(work / "u.wmp")
    _one_error_line(run("package", "u.wasm", "-m", "u.toml", "--no-strip", "-o", "v.wmp"),
                    "import wasmote.time_ms () -> (i64): not granted by the manifest")


def test_initial_memory_over_the_limit(work):
    (work / "small.toml").write_text(BLINKY_TOML.replace('"64KiB"', '"32KiB"'))
    _one_error_line(run("package", "m.wasm", "-m", "small.toml", "-o", "x.wmp"),
                    "m.wasm: the module starts with 1 memory pages (65536 bytes) but "
                    "limits.memory is 32768 bytes")


def test_unused_grant_noted(work):
    (work / "extra.toml").write_text(BLINKY_TOML.replace('"log",', '"log", "kv",'))
    r = run("package", "m.wasm", "-m", "extra.toml", "-o", "x.wmp")
    assert r.exit_code == 0
    assert "note: capability kv is granted but the module imports none" in r.output


def test_keys_generate_force_never_follows_links_or_keeps_a_mode(work):
    """Issue 14, item 12: --force opened the old path for writing, so a private key went
    through a symlink an attacker planted and kept an existing file's loose mode."""
    target = work / "elsewhere.txt"
    target.write_text("not yours")
    os.symlink(target, work / "dev.key")
    (work / "dev.pub").write_text("old")
    os.chmod(work / "dev.pub", 0o666)
    r = run("keys", "generate", "-o", "dev")
    assert r.exit_code != 0 and "dev.key already exists" in r.output  # a symlink counts
    os.symlink(work / "nowhere", work / "other.key")  # dangling: would create its target
    r = run("keys", "generate", "-o", "other")
    assert r.exit_code != 0 and not os.path.lexists(work / "nowhere")
    r = run("keys", "generate", "-o", "dev", "--force")
    assert r.exit_code == 0, r.output
    assert target.read_text() == "not yours"  # the link was replaced, not written through
    assert not os.path.islink(work / "dev.key")
    assert stat.S_IMODE(os.lstat(work / "dev.key").st_mode) == 0o600
    # the public key gets the umask's mode, not the old file's 0666
    assert stat.S_IMODE(os.stat(work / "dev.pub").st_mode) == 0o666 & ~_umask()
    assert [p.name for p in work.iterdir() if p.name.startswith(".")] == []  # no temp left


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old
