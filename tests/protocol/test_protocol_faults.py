"""Pushes through a line that drops, flips, duplicates and delays bytes: they complete
with the exact image, or fail with a clean error and leave the store consistent."""

from __future__ import annotations

import pytest

from tests.harness.posix_device import PosixDevice
from tests.harness.transports import FaultyTransport
from tests.protocol.helpers import held, image, sha
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError
from wasmote.device.transport import SerialTransport


@pytest.mark.parametrize(("kinds", "rate", "seed"), [
    (("drop",), 0.0002, 1),
    (("flip",), 0.0002, 2),
    (("dup",), 0.0002, 3),
    (("delay",), 0.0002, 4),
    (FaultyTransport.KINDS, 0.0005, 5),
    (FaultyTransport.KINDS, 0.003, 6),  # a hopeless line: a clean failure is fine too
])
def test_push_through_a_faulty_line(device: PosixDevice, kinds: tuple[str, ...], rate: float,
                                    seed: int) -> None:
    old, new = image(8000, seed), image(40_000, 100 + seed)
    clean = DeviceClient(SerialTransport(device.url))
    clean.push("app", old)
    clean.transport.close()
    faulty = FaultyTransport(SerialTransport(device.url), rate, seed=seed, kinds=kinds)
    c = DeviceClient(faulty, timeout=0.3, retries=8, slow_timeout=0.5)
    outcome = "ok"
    try:
        r = c.push("app", new)
        assert r.retransmits > 0
    except DeviceError:
        outcome = "clean failure"
    c.transport.close()
    assert faulty.stats.total() > 0
    # whatever happened, the device answers and holds exactly one of the two images
    check = DeviceClient(SerialTransport(device.url))
    assert check.info().modules == 1
    got = held(check)["app"]
    assert got == sha(new) if outcome == "ok" else got in (sha(old), sha(new))
    check.transport.close()


def test_most_faulty_pushes_complete(device: PosixDevice) -> None:
    """With retries the protocol gets the image through a noisy line, not just fails safely."""
    ok = 0
    for seed in range(5):
        data = image(30_000, 200 + seed)
        faulty = FaultyTransport(SerialTransport(device.url), 0.0003, seed=seed)
        # 30 retries: a push gives up only after 9 s without progress, not 3.3 s (which a
        # loaded machine can hold the device off the CPU); a loss still costs one 0.3 s
        c = DeviceClient(faulty, timeout=0.3, retries=30, slow_timeout=0.5)
        try:
            c.push(f"m{seed}", data)
            ok += 1
        except DeviceError:
            pass
        c.transport.close()
    check = DeviceClient(SerialTransport(device.url))
    mods = held(check)
    check.transport.close()
    assert ok >= 4
    assert all(mods[f"m{s}"] == sha(image(30_000, 200 + s)) for s in range(5)
               if f"m{s}" in mods)
