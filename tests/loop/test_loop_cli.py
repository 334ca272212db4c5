"""The CLI around the loop, without QEMU: --port as we parse it, where port/baud come
from (flag > env > config file), a closed pipe, colour, JSON listings, early refusals,
the generated project's references, `wasmote dev` on a save, the CLI reference."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from scripts import cli_reference
from tests.harness.posix_device import PosixDevice
from tests.loop.conftest import LineReader
from wasmote.cli import main
from wasmote.cli.output import colour_enabled, escape
from wasmote.config import load_config
from wasmote.device.client import DeviceClient
from wasmote.device.ports import parse_port
from wasmote.device.relay import open_line
from wasmote.errors import UsageError
from wasmote.package.errors import PackageError
from wasmote.package.manifest import parse_manifest_toml
from wasmote.paths import REPO_ROOT
from wasmote.sdk.scaffold import project_files


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), env=env)
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("text, url", [("4321", "socket://127.0.0.1:4321"),
                                       ("socket://127.0.0.1:80", "socket://127.0.0.1:80"),
                                       ("rfc2217://host.local:2217", "rfc2217://host.local:2217")])
def test_port_forms_understood(text: str, url: str) -> None:
    assert parse_port(text) == url


@pytest.mark.parametrize("text, said", [
    ("socket://127.0.0.1", "no TCP port; write socket://127.0.0.1:PORT (or just PORT"),
    ("socket://127.0.0.1:notaport", "'notaport' is not a TCP port (1-65535)"),
    ("70000", "'70000' is not a TCP port"),
    ("tcp://127.0.0.1:5", "unknown scheme 'tcp://'"),
    ("/dev/ttyNOPE9", "no such serial device"),
    ("", "--port is empty")])
def test_port_errors_say_what_to_write(text: str, said: str) -> None:
    with pytest.raises(UsageError) as e:
        parse_port(text)
    assert said in str(e.value)
    code, _, err = _run("info", "-p", text)
    assert code == 2 and err.count("\n") == 1 and said in err


def test_port_from_flag_over_env_over_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    project = tmp_path / "proj" / "sub"
    project.mkdir(parents=True)
    (tmp_path / "proj" / "wasmote-host.toml").write_text(
        '[device]\nport = "socket://127.0.0.1:bad-config"\nbaud = 921600\n')
    monkeypatch.chdir(project)
    monkeypatch.delenv("WASMOTE_PORT", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    assert load_config().values == {"port": "socket://127.0.0.1:bad-config", "baud": 921600}
    assert "bad-config" in _run("info")[2]
    code, _, err = _run("info", env={"WASMOTE_PORT": "socket://127.0.0.1:bad-env"})
    assert "bad-env" in err
    code, _, err = _run("info", "-p", "socket://127.0.0.1:bad-flag",
                        env={"WASMOTE_PORT": "socket://127.0.0.1:bad-env"})
    assert "bad-flag" in err
    (tmp_path / "proj" / "wasmote-host.toml").write_text('[device]\nprot = "x"\n')
    code, _, err = _run("ls")
    assert code == 2 and "[device] prot: unknown setting" in err
    assert _run("cc", "--help")[0] == 0  # only device commands read it


def test_closed_pipe_is_quiet_and_no_colour_off_a_tty(device: PosixDevice, relay_dir: Path
                                                      ) -> None:
    r, w = os.pipe()
    os.close(r)  # `wasmote info | head -0`: the reader is gone before the first write
    proc = subprocess.run(["wasmote", "info", "-p", device.url], stdout=w,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(w)
    assert proc.stderr == "" and proc.returncode == 141
    with open(os.devnull, "w") as null:
        assert not colour_enabled(null)
    # (a tab too: issue 14 escapes every C0 control; one device string is one line)
    assert escape("\x1b[2Jred\r\x07\tok") == "\\x1b[2Jred\\x0d\\x07\\x09ok"


def test_json_listings_and_identical_push_skipped(device: PosixDevice, relay_dir: Path,
                                                  tmp_path: Path) -> None:
    from tests.protocol.helpers import image

    mod = tmp_path / "m.wasm"
    mod.write_bytes(image(3000, 5))
    assert _run("push", str(mod), "-p", device.url)[0] == 0
    code, out, _ = _run("push", str(mod), "-p", device.url)
    assert code == 0 and "already installed, identical" in out
    [entry] = json.loads(_run("ls", "--json", "-p", device.url)[1])
    assert entry["name"] == "m" and entry["size"] == 3000 and len(entry["sha256"]) == 64
    assert json.loads(_run("info", "--json", "-p", device.url)[1])["board"] == "posix"
    # a package not running: kind, version, limits from its manifest in the store
    from tests.supervisor.modules import package

    pkg = tmp_path / "kvuser.wmp"
    pkg.write_bytes(package("kvuser", "1.2.3"))
    assert _run("push", str(pkg), "-p", device.url)[0] == 0
    kv = next(e for e in json.loads(_run("ls", "--json", "-p", device.url)[1])
              if e["name"] == "kvuser")
    assert (kv["kind"], kv["version"], kv["detail"]) == ("package", "1.2.3", True)
    assert (kv["mem_limit"], kv["stack_limit"], kv["mem_now"]) == (65536, 8192, 0)
    assert kv["mem_bytes"] == 65536 + 8192  # what it would reserve
    out = _run("ls", "-l", "-p", device.url)[1]
    assert "memory 64.0 KiB (limit), stack 8.0 KiB (limit)" in out
    c = DeviceClient(open_line(device.url), timeout=2.0)
    c.push("blinker", package("blinker"))
    c.start("blinker")  # (memory 1): one page now, of a 64 KiB limit
    blinker = next(m for m in c.modules(detail=True) if m.name == "blinker")
    c.transport.close()
    assert blinker.running and (blinker.mem_now, blinker.mem_limit) == (65536, 65536)
    assert isinstance(json.loads(_run("ports", "--json")[1])["ports"], list)


def test_unsigned_package_refused_before_upload(device: PosixDevice, relay_dir: Path,
                                                tmp_path: Path) -> None:
    from tests.supervisor.modules import package
    from wasmote.package.keys import generate_private_key, public_key_bytes

    key = generate_private_key()
    c = DeviceClient(open_line(device.url), timeout=2.0)
    c.provision([public_key_bytes(key)])
    c.transport.close()
    pkg = tmp_path / "kvuser.wmp"
    pkg.write_bytes(package("kvuser"))
    code, _, err = _run("push", str(pkg), "-p", device.url)
    assert code == 1 and "refuses an unsigned package; nothing sent" in err
    c = DeviceClient(open_line(device.url), timeout=2.0, key=key)  # LIST needs a token now
    assert c.modules() == []  # not even a PUSH_BEGIN: nothing half-written
    c.transport.close()


def test_entry_that_is_no_export_refused_when_packaging(tmp_path: Path) -> None:
    from tests.supervisor.modules import wasm
    from wasmote.package.build import build_package

    m = parse_manifest_toml('name = "x"\nversion = "1.0.0"\nentry = "go"\n'
                            'capabilities = ["log", "kv"]\n[limits]\nkv = 64\n')
    with pytest.raises(PackageError, match=r"entry 'go' is not an exported function "
                                           r"\(exported functions: put, get"):
        build_package(wasm("kvuser"), m, "kvuser.wasm")


def test_new_project_points_only_at_files_that_exist() -> None:
    files = project_files("demo")
    text = "\n".join(files.values())
    assert not re.search(r"(?<![\w/])docs/", text)  # the user's folder has no docs/
    for path in re.findall(r"(?<![\w.])(/[^\s)]+\.(?:md|h))", text):
        assert Path(path).is_file(), path
    for ref in re.findall(r"\(([^()\s]+\.md)\)", (REPO_ROOT / "examples" / "README.md")
                          .read_text()):
        assert (REPO_ROOT / "examples" / ref).exists() or (REPO_ROOT / ref).exists(), ref


def test_cli_reference_is_current() -> None:
    assert cli_reference.render() == cli_reference.OUT.read_text(), \
        "docs/cli.md is out of date: run python -m scripts.cli_reference"


def test_dev_pushes_on_save(device: PosixDevice, relay_dir: Path, tmp_path: Path) -> None:
    from tests.supervisor.modules import package

    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "wasmote.toml").write_text('name = "kvuser"\nversion = "1.0.0"\n')
    # a stand-in build: copies the package its "source" names (no compiler needed)
    (proj / "build.sh").write_text('#!/bin/sh\ncp "$(cat src.txt)" kvuser.wmp\n')
    (proj / "build.sh").chmod(0o755)
    (tmp_path / "v1.wmp").write_bytes(package("kvuser", "1.0.0"))
    (tmp_path / "v2.wmp").write_bytes(package("kvuser", "1.1.0"))
    (proj / "src.txt").write_text(str(tmp_path / "v1.wmp"))
    dev = subprocess.Popen(["wasmote", "dev", str(proj), "--no-start", "-p", device.url],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           stdin=subprocess.DEVNULL)
    try:
        assert dev.stdout is not None
        out = LineReader(dev.stdout)
        out.wait_for("pushed kvuser")
        out.wait_for("watching")
        (proj / "src.txt").write_text(str(tmp_path / "v2.wmp"))  # a save
        out.wait_for("changed: src.txt")
        out.wait_for("pushed kvuser")
        c = DeviceClient(open_line(device.url), timeout=2.0)
        assert [m.version for m in c.modules()] == [(1, 1, 0)]
        c.transport.close()
    finally:
        dev.terminate()
        dev.wait(30)


def test_flash_checks_the_port_before_building(monkeypatch: pytest.MonkeyPatch) -> None:
    from wasmote import firmware

    built = []
    # as on a machine with the ESP32 toolchain (this one has none)
    monkeypatch.setattr(firmware, "check_buildable", lambda board: None)
    monkeypatch.setattr(firmware, "build", lambda *a, **k: built.append(a))
    code, _, err = _run("flash", "--board", "esp32dev", "--port", "/dev/ttyNOPE9")
    assert code == 2 and "--port /dev/ttyNOPE9: no such serial device" in err
    assert built == []


def test_demo_writes_no_escape_codes_off_a_terminal(capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    from scripts import demo

    demo.step("a step")
    assert capsys.readouterr().out == "\n== a step\n"
