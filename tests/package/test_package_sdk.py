"""sdk/wasmote.h, compiled for real with zig cc, imports exactly the API-1 table."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from wasmote.package.build import build_package, module_func_imports
from wasmote.package.capabilities import ERROR_CODES, HOST_FUNCTIONS, LIMITS, check_imports
from wasmote.package.errors import CapabilityError, PackageError
from wasmote.package.manifest import parse_manifest_toml
from wasmote.wasm.reader import read_module

FLAGS = ["-target", "wasm32-freestanding", "-nostdlib", "-Wl,--no-entry",
         "-fno-sanitize=undefined", "-std=c99", "-Wall", "-Wextra", "-Werror", "-Os",
         # the linker's default is a 1 MiB stack (17 pages); a device gives 64 KiB
         "-Wl,-z,stack-size=8192", "-Wl,--initial-memory=65536"]

ALL_CALLS = r"""
#include "wasmote.h"
static char buf[WM_RECEIVE_BUF_MIN];
__attribute__((export_name("run"))) int64_t run(void) {
    int64_t acc = wm_time_ms();
    int32_t pin = wm_gpio_pin_str("led0");
    acc += wm_log_str("hi") + wm_sleep_ms(1) + wm_yield();
    acc += wm_gpio_write(pin, 1) + wm_gpio_read(pin);
    acc += wm_kv_set("k", 1, "v", 1) + wm_kv_get("k", 1, buf, 4) + wm_kv_delete("k", 1);
    acc += wm_subscribe("sensors/*", 9) + wm_publish("sensors/t", 9, "x", 1);
    acc += wm_receive(buf, (int32_t)sizeof buf, 0);
    int32_t i2c = wm_i2c_open_addr(0, 0x48), spi = wm_spi_open_str("0/0");
    acc += wm_i2c_write(i2c, buf, 1) + wm_i2c_read(i2c, buf, 2);
    acc += wm_i2c_write_read(i2c, buf, 1, buf, 2) + wm_i2c_open_str("temp0");
    acc += wm_spi_transfer(spi, buf, 1, buf, 3);
    int32_t uart = wm_uart_open_str("aux"), adc = wm_adc_open_str("vin0");
    acc += wm_uart_write(uart, "x", 1) + wm_uart_read(uart, buf, 4, 0) + wm_adc_read(adc);
    int32_t pwm = wm_pwm_open_str("led1");
    acc += wm_pwm_set(pwm, 1000, 32768) + wm_periph_close(pwm);
    return acc;
}
"""

BLINK = r"""
#include "wasmote.h"
__attribute__((export_name("run"))) int32_t run(void) {
    int32_t led = wm_gpio_pin_str("led0");
    if (led < 0) return led;
    wm_log_str("blink");
    return wm_gpio_write(led, 1);
}
"""


def compile_c(source: str, tmp_path: Path, repo_root: Path) -> bytes:
    src = tmp_path / "app.c"
    out = tmp_path / "app.wasm"
    src.write_text(source)
    proc = subprocess.run([sys.executable, "-m", "ziglang", "cc", *FLAGS,
                           "-I", str(repo_root / "sdk"), str(src), "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def test_header_matches_api_table(tmp_path, repo_root):
    wasm = compile_c(ALL_CALLS, tmp_path, repo_root)
    imports = module_func_imports(read_module(wasm))
    got = {i.name: (i.module, i.params, i.results) for i in imports}
    want = {f.name: ("wasmote", f.params, f.results) for f in HOST_FUNCTIONS.values()}
    assert got == want
    with pytest.raises(CapabilityError, match="not granted"):
        check_imports(imports, ())


def test_error_codes_in_header_and_docs(repo_root):
    header = (repo_root / "sdk" / "wasmote.h").read_text()
    defined = {m[1]: int(m[2]) for m in
               re.finditer(r"#define (WM_E_\w+)\s+\((-\d+)\)", header)}
    assert defined == ERROR_CODES
    api = (repo_root / "docs" / "api.md").read_text()
    for name, value in ERROR_CODES.items():
        assert re.search(rf"\|\s*{value}\s*\|\s*`{name}`", api), name
    for name in HOST_FUNCTIONS:
        assert f"`{name}`" in api, name


def test_codes_and_limits_are_the_same_everywhere(repo_root):
    """capabilities.py, the authors' header, the device's sb_api.h and docs/api.md."""
    header = (repo_root / "sdk" / "wasmote.h").read_text()
    device = (repo_root / "firmware" / "src" / "core" / "sandbox" / "sb_api.h").read_text()
    api = (repo_root / "docs" / "api.md").read_text()
    in_device = {m[1]: int(m[2]) for m in
                 re.finditer(r"#define (WM_E_\w+)\s+\((-\d+)\)", device)}
    assert in_device == ERROR_CODES
    for name, value in LIMITS.items():
        assert re.search(rf"#define {name}\s+{value}\b", header), name
        assert re.search(rf"#define {name}\s+{value}u\b", device), name
        assert re.search(rf"\|\s*`{name}`\s*\|\s*{value}\s*\|", api), name


def test_blink_packages_with_its_manifest(tmp_path, repo_root):
    wasm = compile_c(BLINK, tmp_path, repo_root)
    ok = parse_manifest_toml('name = "blink"\nversion = "1.0.0"\nentry = "run"\n'
                             'capabilities = ["log", "gpio:led0"]\n')
    assert build_package(wasm, ok).package.manifest.name == "blink"
    no_gpio = parse_manifest_toml('name = "blink"\nversion = "1.0.0"\ncapabilities = ["log"]\n')
    with pytest.raises(CapabilityError,
                       match=r"import wasmote\.gpio_pin \(i32, i32\) -> \(i32\): not granted"):
        build_package(wasm, no_gpio, source="blink.wasm")


def test_default_link_flags_need_too_much_memory(tmp_path, repo_root):
    """Without the SDK's link flags the module wants 1 MiB+; packaging says so."""
    src = tmp_path / "big.c"
    src.write_text(BLINK)
    out = tmp_path / "big.wasm"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", *FLAGS[:-2], "-I",
                    str(repo_root / "sdk"), str(src), "-o", str(out)], check=True, timeout=300)
    manifest = parse_manifest_toml('name = "b"\nversion = "1.0.0"\n'
                                   'capabilities = ["log", "gpio:*"]\n')
    with pytest.raises(PackageError, match=r"starts with \d+ memory pages"):
        build_package(out.read_bytes(), manifest)
