"""The protocol on emulated hardware: the core + a board port + a minimal app main, under
QEMU (mps2-an386 Cortex-M4F, riscv32-virt), the UART on a TCP socket. Push, run, reset
with the RAM-emulated flash surviving the reset, autostart."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.protocol.conftest import C_DIR
from tests.protocol.helpers import held, image, sha
from wasmote.boards import load_board
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR
from wasmote.sim import free_port, qemu_command

pytestmark = pytest.mark.qemu
WAT = Path(__file__).resolve().parent / "wat"


def build_qemu_device(board_name: str, out: Path) -> Path:
    """Link the core with the board's port and tests/protocol/c/qemu_device_app.c, with the
    same flags and generated MEMORY block as the firmware's PlatformIO builder."""
    board = load_board(board_name)
    raw = json.loads(board.path.read_text())
    gcc = shutil.which(f"{board.toolchain}-gcc")
    if gcc is None:
        pytest.skip(f"{board.toolchain}-gcc not installed")
    port = FIRMWARE_DIR / "src" / "port" / board.port
    wm = raw["wasmote"]
    cflags = raw["build"]["cflags"].split()
    ldflags = raw["build"].get("ldflags", raw["build"]["cflags"]).split()
    out.mkdir(parents=True, exist_ok=True)
    ld = out / "memory.ld"
    ld.write_text(
        "MEMORY\n{\n"
        f"  FLASH (rx) : ORIGIN = 0x{board.flash.base:X}, LENGTH = 0x{board.flash.size:X}\n"
        f"  STORE (rw) : ORIGIN = 0x{board.store.base:X}, LENGTH = 0x{board.store.size:X}\n"
        f"  RAM (rwx) : ORIGIN = 0x{board.ram.base:X}, LENGTH = 0x{board.ram.size:X}\n"
        f"}}\n__stack_size = 0x{board.stack:X};\nINCLUDE {wm['ldsections']}\n")
    sources = [*sorted((FIRMWARE_DIR / "src" / "core").rglob("*.c")),
               *sorted(port.glob("*.c")), *sorted(port.glob("*.S")),
               FIRMWARE_DIR / "src" / "app" / "freestanding.c", C_DIR / "qemu_device_app.c"]
    defines = [f"-DF_CPU={raw['build'].get('f_cpu', '25000000L')}",
               f'-DWM_BOARD_NAME="{board.name}"', f'-DWM_CPU_NAME="{board.cpu}"',
               f"-DWM_UART_BASE=0x{board.uart.base:08X}u",
               f"-DWM_STORE_SECTOR={board.store.sector}u"]
    if "rx_irq" in wm["uart"]:
        defines.append(f"-DWM_UART_RX_IRQ={int(wm['uart']['rx_irq'])}u")
    # core components include their own headers by bare name (as posix_build does)
    core_includes = [f"-I{d}" for d in sorted((FIRMWARE_DIR / "src" / "core").iterdir())
                     if d.is_dir()]
    objs = []
    for i, src in enumerate(sources):
        obj = out / f"{i:03d}_{src.stem}.o"
        cmd = [gcc, *cflags, "-std=c99", "-Os", "-ffreestanding", "-fno-builtin",
               "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror",
               *defines, f"-I{FIRMWARE_DIR / 'include'}", f"-I{FIRMWARE_DIR / 'src'}",
               f"-I{FIRMWARE_DIR / 'src' / 'core'}", *core_includes, "-c", str(src),
               "-o", str(obj)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        objs.append(str(obj))
    elf = out / "device.elf"
    proc = subprocess.run([gcc, *ldflags, *objs, "-nostdlib", "-nostartfiles",
                           "-Wl,--gc-sections", f"-L{port}", "-T", str(ld), "-lgcc",
                           "-o", str(elf)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return elf


@functools.cache
def qemu_elf(board: str) -> Path:
    """One build per board and test session."""
    return build_qemu_device(board, BUILD_DIR / "protocol-tests" / f"qemu-device-{board}")


@pytest.fixture(params=["mps2-an386", "riscv32-virt"])
def board(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def qemu_client(board: str) -> Iterator[DeviceClient]:
    elf = qemu_elf(board)
    port = free_port()
    proc = subprocess.Popen(qemu_command(load_board(board), elf, port),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        t = SerialTransport(f"socket://127.0.0.1:{port}", open_timeout=10.0)
        yield DeviceClient(t, timeout=3.0)
        t.close()
    finally:
        proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _wasm(name: str, tmp: Path) -> bytes:
    out = tmp / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(WAT / f"{name}.wat"), "-o", str(out)], check=True)
    return out.read_bytes()


def test_push_run_reset_autostart_on_qemu(board: str, qemu_client: DeviceClient,
                                          tmp_path: Path) -> None:
    c = qemu_client
    info = c.info()
    assert info.board == board and info.protocol_version == 1
    assert info.store_capacity == load_board(board).store.size
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
    assert "calc: hello from calc" in c.logs()  # autostart ran at boot
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
        return proc, DeviceClient(SerialTransport(f"socket://127.0.0.1:{port}",
                                                  open_timeout=10.0), timeout=3.0)

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
