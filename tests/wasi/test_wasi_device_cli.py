"""The device commands with WASI modules, against the posix device over TCP as against a
board: `run` prints a program's output and names the source of its trap from the debug
file beside the package (found by the hash the device holds), `start -f` ends with the
program's exit status, `ls` shows it, `logs` shows the output."""

from __future__ import annotations

from pathlib import Path

from tests.cli_invoke import run_cli
from tests.harness.posix_device import PosixDevice
from tests.wasi import programs as pr


def test_run_start_ls_logs(tmp_path: Path, tour_wasm: Path) -> None:
    wasm = pr.build_trap(tmp_path)
    (tmp_path / "trap.toml").write_text(pr.TRAP_MANIFEST)
    assert run_cli("package", str(wasm), "-m", str(tmp_path / "trap.toml"), "-o",
                   str(tmp_path / "trap.wmp")).exit_code == 0
    (tmp_path / "tour.wmp").write_bytes(pr.tour_package(tour_wasm.read_bytes()))
    with PosixDevice(tmp_path / "flash.bin", flash_size=544 * 1024) as dev:
        port = ("--port", dev.url)
        for pkg in ("trap.wmp", "tour.wmp"):
            r = run_cli("push", str(tmp_path / pkg), *port)
            assert r.exit_code == 0, r.output
        r = run_cli("run", "trap", "--debug", str(tmp_path), *port)
        assert r.exit_code == 2 and r.stdout == "about to fail\n", r.output
        assert r.stderr.startswith(pr.TRAP_WHERE), r.stderr
        r = run_cli("run", "trap", *port)  # no debug file at hand: the raw frames
        assert r.exit_code == 2 and "in func[" in r.stderr, r.stderr
        r = run_cli("start", "tour", "-f", *port)
        assert r.exit_code == pr.TOUR_EXIT, r.output
        out = r.stdout.removeprefix("started tour\n").removesuffix("exit status 5\n")
        assert pr.TOUR_STDOUT.match(out.encode()), r.stdout
        assert r.stderr == pr.TOUR_STDERR.decode()
        r = run_cli("ls", *port)
        assert "last: exit status 5" in r.stdout, r.stdout
        r = run_cli("logs", *port)
        assert "tour: snprintf 13 [id-00042-beef]" in r.stdout, r.stdout
