"""wasmote doctor on this machine (everything bootstrap installs is here), and what it says
when something is missing."""

import pwd

from click.testing import CliRunner

from wasmote import doctor
from wasmote.boards import load_board
from wasmote.cli import main
from wasmote.paths import FIRMWARE_DIR


def test_doctor_on_this_machine_passes_and_lists_everything():
    r = CliRunner().invoke(main, ["doctor"])
    assert r.exit_code == 0, r.output
    for name in ("click", "esptool", "platformio", "ziglang", "zig cc", *doctor.TOOLS,
                 "paho-mqtt", "mosquitto version",
                 "PlatformIO core dir", "dialout"):
        assert name in r.output, name
    assert "all required tools are present" in r.output
    checks = doctor.run_checks()
    assert doctor.all_required_ok(checks)
    zig = next(c for c in checks if c.name.startswith("zig cc"))
    assert zig.found[0].isdigit()  # a real version, e.g. 0.17.1


def test_missing_tool_gives_apt_fix_and_exit_1(monkeypatch):
    monkeypatch.setitem(doctor.TOOLS, "wasmote-no-such-tool",
                        ("wasmote-no-such-pkg", "testing"))
    r = CliRunner().invoke(main, ["doctor"])
    assert r.exit_code == 1
    lines = r.output.splitlines()
    i = next(n for n, ln in enumerate(lines) if "wasmote-no-such-tool" in ln)
    assert lines[i].startswith("MISSING") and "not found" in lines[i]
    assert "fix: apt-get install wasmote-no-such-pkg" in lines[i + 1]
    assert "1 required item(s) missing" in r.output


def test_missing_python_dep_gives_pip_fix():
    c = doctor.check_python_dep("wasmote-no-such-dist", "testing")
    assert not c.ok and c.required and "pip install" in c.fix


def test_missing_pio_core_dir(tmp_path):
    c = doctor.check_pio_core(tmp_path / "nope")
    assert not c.ok and "scripts/pio_offline.py" in c.fix
    assert doctor.check_pio_core(doctor.PIO_CORE_DIR).ok


def test_serial_permission_is_a_warning_with_the_usermod_fix():
    nobody = pwd.getpwnam("nobody")
    c = doctor.check_serial(nobody.pw_uid)
    assert not c.ok and not c.required and c.status == "warning"
    assert c.fix.startswith("sudo usermod -aG dialout nobody")
    assert doctor.all_required_ok([c])  # optional: never fails the doctor
    assert doctor.check_serial(0).ok


def test_real_board_platforms_are_optional_with_the_install_command(tmp_path):
    board = load_board("nucleo_l476rg")
    c = doctor.check_board_platform(board, tmp_path)
    assert not c.ok and not c.required and c.status == "warning"
    assert "ststm32" in c.name and "registry.platformio.org" in c.found
    assert c.fix.endswith(f"pkg install -d {FIRMWARE_DIR} -e nucleo_l476rg")
    (tmp_path / "platforms" / "ststm32").mkdir(parents=True)
    assert doctor.check_board_platform(board, tmp_path).ok
    r = CliRunner().invoke(main, ["doctor"])
    assert "PlatformIO platform for esp32dev (espressif32)" in r.output
    assert "PlatformIO platform for nucleo_l476rg (ststm32)" in r.output
