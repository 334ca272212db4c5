"""A module's names are its author's: what the host tools print of them must not reach a
terminal as control sequences (a screen clear, a window title, a carriage return or a
forged line, a bidi override). `inspect` (module and package), and `exec`'s trap and log
lines show them escaped, as device text is (wasmote/terminal_text.py)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import wasmote.cli.exec_cmd  # noqa: F401  (registers `exec` even before cli/__init__ does)
from tests.wasm.wasm_builders import func_module, ins
from wasmote.cli import main
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.wasm.leb128 import encode_unsigned
from wasmote.wasm.module import (
    KIND_FUNC,
    CustomSection,
    DataSegment,
    Export,
    FuncType,
    Import,
    Instr,
    Limits,
    MemType,
)
from wasmote.wasm.writer import write_module

EVIL = "\x1b[2J\x1b]0;pwn\x07\r\nforged: line\u202e\x9b"
SHOWN = "\\x1b[2J\\x1b]0;pwn\\x07\\x0d\\x0aforged: line\\u202e\\x9b"


def _name(s: str) -> bytes:
    b = s.encode()
    return encode_unsigned(len(b)) + b


def _hostile(tmp_path: Path, body: list[Instr] | None = None, imports: bool = True
             ) -> Path:
    """A module whose import, export, custom section and function (name section) carry
    EVIL; its export "f" runs `body`."""
    mod = func_module((), (), body or [ins("nop")])
    mod.types.append(FuncType((), ()))
    if imports:
        mod.imports.append(Import("env" + EVIL, "x" + EVIL, KIND_FUNC, 1))
    f = len(mod.imports)
    mod.exports += [Export("f", KIND_FUNC, f), Export(EVIL, KIND_FUNC, f)]
    names = encode_unsigned(1) + encode_unsigned(f) + _name(EVIL)
    mod.customs += [CustomSection("name", b"\x01" + encode_unsigned(len(names)) + names, after=11),
                    CustomSection(EVIL, b"payload", after=11)]
    path = tmp_path / "hostile.wasm"
    path.write_bytes(write_module(mod))
    return path


def _clean(text: str) -> None:
    for c in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
        assert c not in text, repr(text)


def test_inspect_shows_a_modules_names_escaped(tmp_path):
    r = CliRunner().invoke(main, ["inspect", str(_hostile(tmp_path))])
    assert r.exit_code == 0, r.output
    _clean(r.output)
    assert f"  f  func 1\n  {SHOWN}  func 1" in r.output
    assert f"  env{SHOWN}.x{SHOWN}  func () -> ()" in r.output
    assert f'custom "{SHOWN}"' in r.output
    assert not any(line.startswith("forged") for line in r.output.splitlines())


def test_inspect_of_a_package_shows_its_imports_escaped(tmp_path):
    data = _hostile(tmp_path).read_bytes()
    pkg = tmp_path / "h.wmp"
    pkg.write_bytes(Package(Manifest("h", Version(1, 0, 0)), data).to_bytes())
    r = CliRunner().invoke(main, ["inspect", str(pkg)])
    assert r.exit_code == 0, r.output
    _clean(r.output)
    assert f"imports     env{SHOWN}.x{SHOWN}" in r.output


def test_exec_shows_a_trap_in_a_named_function_on_one_line(tmp_path):
    # the trap names the function from the module's name section
    path = _hostile(tmp_path, [ins("unreachable")], imports=False)
    r = CliRunner().invoke(main, ["exec", str(path), "--invoke", "f", "--cap", "log"])
    assert r.exit_code == 2, r.output
    _clean(r.stderr)
    assert r.stderr == f"trap: unreachable in {SHOWN}\n"


def test_exec_shows_a_log_line_on_one_line(tmp_path):
    text = EVIL.encode()
    mod = func_module((), (), [ins("i32.const", 16), ins("i32.const", len(text)),
                               ins("call", 0), ins("drop")])
    mod.types.append(FuncType((0x7F, 0x7F), (0x7F,)))
    mod.imports.append(Import("wasmote", "log", KIND_FUNC, 1))
    mod.funcs[0].type_idx = 0
    mod.exports.append(Export("f", KIND_FUNC, 1))
    mod.mems.append(MemType(Limits(1)))
    mod.datas.append(DataSegment("active", text, 0, [ins("i32.const", 16), ins("end")]))
    path = tmp_path / "log.wasm"
    path.write_bytes(write_module(mod))
    r = CliRunner().invoke(main, ["exec", str(path), "--invoke", "f", "--cap", "log"])
    assert r.exit_code == 0, r.output
    _clean(r.stdout)
    assert r.stdout == f"{SHOWN}\n"
