"""Fixtures of the peripheral tests under QEMU: the example drivers and the test modules,
built once with `wasmote cc` as a user builds them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_invoke import run_cli
from wasmote import sim

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EX = REPO / "examples"
DECIMAL = (str(EX / "pubsub" / "decimal.c"),)
PERIOD = ("-DPERIOD_MS=200",)  # the drivers' 1 s period, shortened for the tests

# package name -> (sources and flags, manifest)
MODULES = {
    "tmp105": ((str(EX / "tmp105" / "tmp105.c"), str(EX / "tmp105" / "tmp105_convert.c"),
                *DECIMAL, *PERIOD), EX / "tmp105" / "tmp105.toml"),
    "eeprom_logger": ((str(EX / "eeprom_logger" / "logger.c"),
                       str(EX / "eeprom_logger" / "ring.c"), *DECIMAL),
                      EX / "eeprom_logger" / "eeprom_logger.toml"),
    "dps310": ((str(EX / "dps310" / "dps310.c"), str(EX / "dps310" / "dps310_comp.c"),
                *DECIMAL, *PERIOD), EX / "dps310" / "dps310.toml"),
    "flooder": ((str(HERE / "flooder.c"), *DECIMAL), HERE / "flooder.toml"),
}


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("periph-modules")
    built = {}
    for name, (sources, manifest) in MODULES.items():
        r = run_cli("cc", *sources, "-o", str(out / f"{name}.wasm"), "-m", str(manifest))
        assert r.exit_code == 0, r.output
        built[name] = out / f"{name}.wmp"
    wat = out / "periph.wasm"
    subprocess.run(["wat2wasm", str(REPO / "tests" / "sandbox" / "periph" / "periph.wat"),
                    "-o", str(wat)], check=True)
    built["periph.wasm"] = wat
    return built


@pytest.fixture
def board(tmp_path: Path) -> Iterator[sim.Sim]:
    """mps2-an386 with its board file's parts (TMP105, AT24C32, DPS310, MAX1111) and the
    FPGA LEDs traced (the software PWM drives one)."""
    s = sim.launch("mps2-an386", qemu_args=("-trace", "led_change_intensity", "-D",
                                            str(tmp_path / "leds.log")))
    try:
        sim.wait_ready(s)
        s.save()  # `wasmote sim set/get --port` find it by its record
        yield s
    finally:
        s.stop()
