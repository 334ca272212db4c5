"""A power cut between raising a version pin and committing the replace it was raised for.
A signed push raises the pin before the store commits (so a pin that cannot be written
refuses the push); a cut in between left the old image installed below the new pin, and
every load then refused it ("version 1.0.0 is older than the installed 1.1.0"): the module
the device held no longer started, autostarted or ran until the new version was pushed
again (posix device, SIGKILL 1-3 ms after the pin record reached the flash file, with flash
timed like NOR). The pin now also notes the version installed when it was raised, and a
load lets exactly that image run; the push of anything below the pin is still refused.

The cut is made deterministic here: the config area after the replace (its pin raised)
with the module store from before it (the commit not made) is exactly the state the cut
leaves."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.harness.posix_device import PosixDevice
from tests.supervisor.modules import ints, signed
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.keys import public_key_bytes


def session(dev: PosixDevice, key: Ed25519PrivateKey) -> DeviceClient:
    return DeviceClient(SerialTransport(dev.url), timeout=3.0, key=key)


def test_the_image_a_cut_leaves_below_a_raised_pin_still_runs(tmp_path: Path,
                                                              device_exe: Path) -> None:
    owner = Ed25519PrivateKey.generate()
    flash = tmp_path / "flash.bin"
    dev = PosixDevice(flash, variant="asan").start()
    try:
        c = session(dev, owner)
        c.provision([public_key_bytes(owner)])
        c.push("talker", signed("talker", owner, "1.0.0", autostart=True))
        c.transport.close()
        dev.stop()
        before = flash.read_bytes()
        dev.start()
        c = session(dev, owner)
        c.push("talker", signed("talker", owner, "1.1.0", autostart=True))
        c.transport.close()
        dev.stop()
        after = flash.read_bytes()
        flash.write_bytes(before[:dev.store_size] + after[dev.store_size:])

        dev.start()
        c = session(dev, owner)
        [m] = c.modules()
        assert (m.name, m.version) == ("talker", (1, 0, 0))
        assert m.last_trap == ""  # autostarted at boot, not refused
        assert ints(c.run("talker", "say", [])) == [7]
        with pytest.raises(DeviceRefused) as replay:  # the pin holds for pushes
            c.push("talker", signed("talker", owner, "1.0.0", autostart=True))
        assert replay.value.status == p.Status.DENIED
        assert "older than the installed 1.1.0" in replay.value.message
        c.push("talker", signed("talker", owner, "1.1.0", autostart=True))
        assert [m.version for m in c.modules()] == [(1, 1, 0)]
        assert ints(c.run("talker", "say", [])) == [7]
        c.transport.close()
    finally:
        dev.stop()
