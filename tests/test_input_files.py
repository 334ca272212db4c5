"""A file the user names is read at most as far as its kind can go: a huge file, /dev/zero
or an endless pipe given by mistake is refused with one line (what, which file) instead of
filling the host's memory or hanging (host_tools/wasmote/input_file.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_invoke import assert_one_error_line, run_cli
from wasmote.input_file import (
    MODULE_FILE_MAX,
    TEXT_FILE_MAX,
    InputTooLargeError,
    read_capped,
)


def _sparse(path: Path, size: int) -> Path:
    """A file of `size` zero bytes that takes no disk (its start a wasm header)."""
    with open(path, "wb") as f:
        f.write(b"\0asm\1\0\0\0")
        f.truncate(size)
    return path


def test_read_capped_stops_at_its_limit_on_an_endless_file():
    with pytest.raises(InputTooLargeError, match="more than 1 MiB, too large for a thing"):
        read_capped("/dev/zero", 1 << 20, "a thing")


def test_read_capped_gives_a_file_up_to_its_limit(tmp_path):
    data = _sparse(tmp_path / "m.wasm", 4096).read_bytes()
    assert read_capped(tmp_path / "m.wasm", 4096, "x") == data


@pytest.mark.parametrize("command", [
    ("validate",), ("inspect",), ("exec",), ("compile", "-t", "host"),
    ("strip", "-o", "out.wasm"), ("push", "-p", "127.0.0.1:9")])
def test_a_module_larger_than_any_is_refused_in_one_line(tmp_path, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    big = _sparse(tmp_path / "big.wasm", MODULE_FILE_MAX + 1)
    result = run_cli(command[0], str(big), *command[1:])
    assert_one_error_line(result, f"{big}: ")
    assert "more than 64 MiB, too large" in result.output


def test_a_package_manifest_or_key_too_large_is_refused_in_one_line(tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.wasm").write_bytes(b"\0asm\1\0\0\0")
    big_toml = _sparse(tmp_path / "m.toml", TEXT_FILE_MAX + 1)
    result = run_cli("package", "m.wasm", "-m", str(big_toml), "-o", "x.wmp")
    assert_one_error_line(result, f"{big_toml}: cannot read: more than 1 MiB")
    big_key = _sparse(tmp_path / "k.key", 64 * 1024 + 1)
    result = run_cli("keys", "show", str(big_key))
    assert_one_error_line(result, "too large for a key file")
