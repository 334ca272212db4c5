"""Every example builds and packages under its own manifest (imports exactly granted), the
WAT example assembles, and the pure exports run on the posix build via `wasmote exec`.

The examples' host calls (gpio, kv, pubsub, i2c) are not run here (`wasmote exec` links no
host API): tests/sdk/test_sdk_examples_qemu.py pushes and runs the examples on the firmware
under QEMU, tests/periph/test_periph_qemu.py the sensor drivers against QEMU's sensors.
"""

import subprocess

import pytest
from click.testing import CliRunner

from tests.sdk.sdk_helpers import assert_module_fits_manifest, package_module_bytes
from wasmote.cli import main
from wasmote.package.manifest import load_manifest
from wasmote.runtime.exec import ExecRequest, run_export
from wasmote.sdk.cc import CompileOptions, compile_module
from wasmote.wasm.reader import read_module

C_MODULES = [  # folder, sources, manifest
    ("blink", ("blink.c", "heartbeat.c"), "blink.toml"),
    ("sensor_filter", ("sensor.c", "filter.c"), "sensor_filter.toml"),
    ("pubsub", ("publisher.c", "decimal.c"), "publisher.toml"),
    ("pubsub", ("subscriber.c", "decimal.c"), "subscriber.toml"),
    ("tmp105", ("tmp105.c", "tmp105_convert.c", "../pubsub/decimal.c"), "tmp105.toml"),
    ("eeprom_logger", ("logger.c", "ring.c", "../pubsub/decimal.c"), "eeprom_logger.toml"),
    ("dps310", ("dps310.c", "dps310_comp.c", "../pubsub/decimal.c"), "dps310.toml"),
]


@pytest.fixture(scope="module")
def examples(repo_root):
    return repo_root / "examples"


@pytest.mark.parametrize("folder, sources, manifest", C_MODULES,
                         ids=[m[2].removesuffix(".toml") for m in C_MODULES])
def test_c_example_builds_and_packages(examples, tmp_path, folder, sources, manifest):
    d = examples / folder
    out = tmp_path / "m.wasm"
    pkg = tmp_path / "m.wmp"
    args = ["cc", *(str(d / s) for s in sources), "-o", str(out), "-m", str(d / manifest),
            "--package", str(pkg)]
    r = CliRunner().invoke(main, args)  # output holds stderr too (the notes)
    assert r.exit_code == 0, r.output
    assert "note:" not in r.output  # no capability granted in vain
    m = load_manifest(d / manifest)
    pkg_manifest, wasm = package_module_bytes(pkg)
    assert pkg_manifest == m
    assert_module_fits_manifest(wasm, m)
    if m.entry:
        assert m.entry in {e.name for e in read_module(wasm).exports}


def test_wat_example_assembles_and_packages(examples, tmp_path):
    d = examples / "wat_counter"
    wasm_path = tmp_path / "counter.wasm"
    subprocess.run(["wat2wasm", str(d / "counter.wat"), "-o", str(wasm_path)], check=True)
    r = CliRunner().invoke(main, ["package", str(wasm_path), "-m", str(d / "counter.toml"),
                                  "-o", str(tmp_path / "counter.wmp")])
    assert r.exit_code == 0, r.output
    assert "note:" not in r.output
    m = load_manifest(d / "counter.toml")
    _, wasm = package_module_bytes(tmp_path / "counter.wmp")
    assert_module_fits_manifest(wasm, m)
    assert {i.name for i in read_module(wasm).imports} == {"log", "kv_get", "kv_set"}


PURE = [  # folder, source, export, args, result
    ("blink", "heartbeat.c", "heartbeat_level", ("0",), "i32:1"),
    ("blink", "heartbeat.c", "heartbeat_level", ("150",), "i32:0"),
    ("blink", "heartbeat.c", "heartbeat_level", ("2250",), "i32:1"),
    ("blink", "heartbeat.c", "heartbeat_level", ("-1",), "i32:0"),  # phase 999
    ("sensor_filter", "filter.c", "median3", ("10", "900", "12"), "i32:12"),
    ("sensor_filter", "filter.c", "median3", ("-5", "-7", "-6"), "i32:-6"),
    ("sensor_filter", "filter.c", "ema_step", ("0", "100"), f"i32:{100 * 256 // 4}"),
    ("pubsub", "decimal.c", "decimal_roundtrip", ("-2147483648",), "i32:-2147483648"),
    ("pubsub", "decimal.c", "decimal_roundtrip", ("2147483647",), "i32:2147483647"),
    ("pubsub", "decimal.c", "decimal_roundtrip", ("0",), "i32:0"),
    ("pubsub", "decimal.c", "decimal_length", ("-1234",), "i32:5"),
    ("tmp105", "tmp105_convert.c", "millic", ("0x15", "0x80"), "i32:21500"),
    ("tmp105", "tmp105_convert.c", "millic", ("0xf8", "0xc0"), "i32:-7250"),
    ("tmp105", "tmp105_convert.c", "millic", ("0x7f", "0xf0"), "i32:127937"),
    ("eeprom_logger", "ring.c", "ring_roundtrip", ("5", "-1234"), "i32:-1234"),
    ("eeprom_logger", "ring.c", "ring_roundtrip", ("16777215", "23437"), "i32:23437"),
    ("dps310", "dps310_comp.c", "signed24", ("0xfe2fee",), "i32:-118802"),
    ("dps310", "dps310_comp.c", "signed24", ("0x7fffff",), "i32:8388607"),
]


@pytest.fixture(scope="module")
def pure_modules(examples, tmp_path_factory):
    out = tmp_path_factory.mktemp("pure")
    built = {}
    for folder, source in {(p[0], p[1]) for p in PURE}:
        res = compile_module(CompileOptions(sources=(examples / folder / source,),
                                            output=out / f"{source}.wasm"))
        assert not read_module(res.output.read_bytes()).imports  # pure: runs anywhere
        built[source] = res.output
    return built


@pytest.mark.parametrize("folder, source, export, args, want", PURE)
def test_pure_exports_run_on_posix(pure_modules, folder, source, export, args, want):
    got = run_export(ExecRequest(pure_modules[source], export, args))
    assert [v.user() for v in got] == [want]
