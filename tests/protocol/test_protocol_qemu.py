"""The protocol on emulated hardware: the product firmware (PlatformIO build) under QEMU
(mps2-an386 Cortex-M4F, riscv32-virt, xtensa-lx106), the UART on a TCP socket. Push, run,
reset with the RAM-emulated flash surviving the reset, autostart."""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.protocol.helpers import held, image, logs_with, sha
from tests.protocol.test_protocol_run import raw_run
from tests.sim_client import past_banner
from wasmote import firmware
from wasmote.boards import load_board
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.keys import public_key_bytes
from wasmote.paths import BUILD_DIR
from wasmote.sim import free_port, qemu_command

pytestmark = pytest.mark.qemu
WAT = Path(__file__).resolve().parent / "wat"


@functools.cache
def qemu_elf(board: str) -> Path:
    """The product firmware (PlatformIO build, cached), copied: a later build may replace it."""
    out = BUILD_DIR / "protocol-tests" / f"firmware-{board}.elf"
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(firmware.build(board).elf, out)
    return out


@pytest.fixture(params=["mps2-an386", "riscv32-virt", "xtensa-lx106"])
def board(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.contextmanager
def booted(board: str, timeout: float = 3.0) -> Iterator[DeviceClient]:
    """A fresh boot of the product firmware (empty flash) and a client on its UART."""
    elf = qemu_elf(board)
    port = free_port()
    proc = subprocess.Popen(qemu_command(load_board(board), elf, port),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        t = past_banner(SerialTransport(f"socket://127.0.0.1:{port}", open_timeout=10.0),
                        board)
        yield DeviceClient(t, timeout=timeout)
        t.close()
    finally:
        proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture
def qemu_client(board: str) -> Iterator[DeviceClient]:
    with booted(board) as c:
        yield c


def _wasm(name: str, tmp: Path) -> bytes:
    out = tmp / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(WAT / f"{name}.wat"), "-o", str(out)], check=True)
    return out.read_bytes()


def test_push_run_reset_autostart_on_qemu(board: str, qemu_client: DeviceClient,
                                          tmp_path: Path) -> None:
    c = qemu_client
    info = c.info()
    assert info.board == board and info.protocol_version == 1
    assert info.store_capacity == load_board(board).store.modules_size
    assert "run" in info.feature_names()
    calc = _wasm("calc", tmp_path)
    c.push("calc", calc, autostart=True)
    blob = image(20_000, 3)
    c.push("blob", blob)
    assert held(c) == {"calc": sha(calc), "blob": sha(blob)}
    i32 = [p.WireValue("i32", 20), p.WireValue("i32", 22)]
    assert c.run("calc", "add", i32) == [p.WireValue("i32", 42)]
    c.events.clear()
    assert c.run("calc", "hello", []) == [p.WireValue("i32", 7)]
    assert [e.text for e in c.events] == ["hello from calc"]
    with pytest.raises(Exception, match="unreachable"):
        c.run("calc", "boom", [])
    c.reset()  # a real system reset of the emulated board: the RAM store survives it
    assert held(c) == {"calc": sha(calc), "blob": sha(blob)}
    logs_with(c, "calc: hello from calc")  # autostart ran at boot
    blob2 = image(9_000, 4)
    c.push("blob", blob2)  # replace
    assert held(c) == {"calc": sha(calc), "blob": sha(blob2)}
    c.remove("blob")
    assert held(c) == {"calc": sha(calc)}


def test_store_persists_across_qemu_restarts_on_riscv_virt(tmp_path: Path) -> None:
    """riscv32-virt's RAM can be a host file (memory-backend-file, share=on): the store
    region then survives QEMU being killed and started again, like real flash."""
    board = load_board("riscv32-virt")
    elf = qemu_elf(board.name)
    ram = tmp_path / "ram.img"

    def boot() -> tuple[subprocess.Popen[bytes], DeviceClient]:
        port = free_port()
        cmd = qemu_command(board, elf, port)
        cmd[1:1] = ["-m", "128M", "-object",
                    f"memory-backend-file,id=ram,size=128M,mem-path={ram},share=on",
                    "-machine", "memory-backend=ram"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        line = SerialTransport(f"socket://127.0.0.1:{port}", open_timeout=10.0)
        return proc, DeviceClient(past_banner(line, board.name), timeout=3.0)

    data = image(12_000, 5)
    proc, c = boot()
    try:
        c.push("kept", data)
        c.transport.close()
    finally:
        proc.kill()  # no clean shutdown: like pulling the plug
        proc.wait()
    proc, c = boot()
    try:
        assert held(c) == {"kept": sha(data)}
        c.transport.close()
    finally:
        proc.kill()
        proc.wait()


def test_board_refuses_forged_references_and_unauthenticated_management(
        tmp_path: Path) -> None:
    """Issue 14 on the Cortex-M4 board: a funcref from the wire no longer reaches
    call_indirect (item 1: it gave code execution, then an unsigned PROVISION); the board
    has an id and jitter-seeded randomness (item 3) and, once provisioned, answers
    management requests only with a token (item 5)."""
    with booted("mps2-an386", timeout=5.0) as c:
        info = c.info()
        assert info.random_kind_name == "seeded DRBG" and info.device_id != bytes(16)
        c.push("refs", _wasm("refs", tmp_path))
        for t in (0x70, 0x6F):
            with pytest.raises(DeviceRefused) as e:
                raw_run(c, "callref", [(t, 0x20000000)])
            assert e.value.status == p.Status.BAD_ARGS
        with pytest.raises(DeviceRefused) as e:
            raw_run(c, "callref", [(0x7E, 0x20000000)])
        assert e.value.status == p.Status.BAD_ARGS and "takes a funcref" in e.value.message
        assert c.info().keys == 0  # the attack's next step (an unsigned key) never happens
        key = Ed25519PrivateKey.generate()
        c.provision([public_key_bytes(key)])
        with pytest.raises(DeviceRefused) as e:
            c.modules()
        assert e.value.status == p.Status.AUTH
        c.key = key
        assert [m.name for m in c.modules()] == ["refs"]
        c.remove("refs")
        assert c.modules() == []


@pytest.mark.parametrize("board_name", ["mps2-an386", "riscv32-virt", "xtensa-lx106"])
def test_fresh_boards_get_different_ids_from_jitter_alone(board_name: str) -> None:
    """Item 3 on the boards without an RNG: two fresh boots of the same image (empty flash, no
    seed kept yet) still make different device ids and nonces, from timer jitter alone."""
    seen = []
    for _ in range(2):
        with booted(board_name, timeout=5.0) as c:
            info = c.info()
            assert info.random_kind_name == "seeded DRBG"
            seen.append((info.device_id, c.nonce().nonce))
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]
