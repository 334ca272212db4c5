"""Issue 15: one refusal, one message. What the validator or the sandbox reports (status,
offset, text) reaches the CLI and the library unchanged, through sandbox -> supervisor ->
protocol -> wire on the posix device; each layer's own report is read first, from the
runtime's spec driver (the validator's wm_error) and the sandbox harness (its wm_msg)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import wasmote.cli.device_cmds  # noqa: F401  (registers the commands)
from tests.harness.posix_device import PosixDevice
from tests.harness.spec_driver import Answer, DriverProcess
from tests.sandbox.sandbox_support import Device, build_harness, package
from wasmote import posix_build
from wasmote.cli import main
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.protocol import Status
from wasmote.device.transport import SerialTransport

# () -> () whose body is the illegal opcode 0xFF: the validator stops at that byte.
BAD_OPCODE = bytes.fromhex("0061736d01000000" "010401600000" "03020100" "0a05010300ff0b")
# imports wasmote.kv_set, which the manifest does not grant
_IMPORTS = b"\x01\x07wasmote\x06kv_set\x00\x00"
KV_IMPORT = (bytes.fromhex("0061736d01000000" "01090160047f7f7f7f017f")
             + bytes([2, len(_IMPORTS)]) + _IMPORTS)


def _cli(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.stderr


def _validator_says(tmp_path: Path, module: bytes) -> Answer:
    path = tmp_path / "probe.wasm"
    path.write_bytes(module)
    with DriverProcess(posix_build.build_program("wasmote-spec", "release")) as d:
        return Answer.parse(d.command(f"module $m {d.module_source(path)}"))


def _sandbox_says(tmp_path: Path, pkg: bytes) -> tuple[int, int, str]:
    dev = Device(build_harness(), tmp_path)
    i = dev.install(0, pkg)
    line = dev.run().lines[i]
    head, status, offset, text = line.split(" ", 3)
    assert head == "refused", line
    return int(status), int(offset, 16), text


@pytest.mark.parametrize("as_package", [False, True], ids=["bare", "package"])
def test_a_bad_opcode_reaches_the_cli_with_the_validators_offset_and_text(
        device: PosixDevice, tmp_path: Path, as_package: bool) -> None:
    said = _validator_says(tmp_path, BAD_OPCODE)
    assert (said.kind, said.error_kind) == ("error", "malformed")
    assert said.offset == BAD_OPCODE.index(b"\xff") and said.message
    data = package(BAD_OPCODE, "badop", []) if as_package else BAD_OPCODE
    at = data.index(b"\0asm") + said.offset  # the offset counts in what was pushed
    path = tmp_path / ("badop.wmp" if as_package else "badop.wasm")
    path.write_bytes(data)
    code, err = _cli("push", str(path), "--no-host-check", "--port", device.url)
    assert (code, err) == (1, f"error: device refused PUSH_COMMIT: invalid module at "
                              f"{at:#x}: {said.message} (INVALID_MODULE)\n")
    c = DeviceClient(SerialTransport(device.url))
    with pytest.raises(DeviceRefused) as e:
        c.push("badop", data)
    c.transport.close()
    assert (e.value.status, e.value.message) == (
        Status.INVALID_MODULE, f"invalid module at {at:#x}: {said.message}")


def test_a_denied_import_reaches_the_cli_with_the_sandboxs_status_and_text(
        device: PosixDevice, tmp_path: Path) -> None:
    pkg = package(KV_IMPORT, "kvless", ["log"])
    status, offset, text = _sandbox_says(tmp_path, pkg)
    assert status == Status.DENIED and offset > 0 and text.startswith("import wasmote.kv_set")
    path = tmp_path / "kvless.wmp"
    path.write_bytes(pkg)
    code, err = _cli("push", str(path), "--no-host-check", "--port", device.url)
    assert (code, err) == (1, f"error: device refused PUSH_COMMIT: {text} (DENIED)\n")
    c = DeviceClient(SerialTransport(device.url))
    with pytest.raises(DeviceRefused) as e:
        c.push("kvless", pkg)
    c.transport.close()
    assert (e.value.status, e.value.message) == (Status.DENIED, text)
