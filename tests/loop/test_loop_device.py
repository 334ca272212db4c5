"""Device refusals that say what to do (posix device): which store limit was hit, messages
cut at a word, never mid-word."""

from __future__ import annotations

import subprocess

import pytest

from tests.protocol.helpers import image
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient


def test_device_says_which_store_limit_and_cuts_at_words(client: DeviceClient) -> None:
    from wasmote.device.errors import DeviceRefused

    n = 0
    with pytest.raises(DeviceRefused) as e:
        for n in range(40):  # one sector each: the flash has room for 60
            client.push(f"m{n}", image(64, n))
    assert e.value.status == p.Status.NO_SPACE and n == 23  # 23 live, docs/protocol.md
    assert "the most modules it holds are installed (record table, not flash)" \
        in e.value.message
    # a message longer than the device's buffer ends after a whole word
    wat = "(module " + " ".join(f'(func (export "export_number_{i:02d}_x"))'
                                for i in range(12)) + ")"
    mod = subprocess.run(["wat2wasm", "-", "--output=-"], input=wat.encode(),
                         capture_output=True, check=True).stdout
    client.remove("m0")
    client.push("many", mod)
    with pytest.raises(DeviceRefused) as e:
        client.run("many", "nope", [])
    msg = e.value.message
    assert msg.startswith("no exported function 'nope'; exports: export_number_00_x, ")
    assert msg.endswith("...") and msg[:-3].endswith(("_x,", "_x")), msg
