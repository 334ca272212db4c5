"""Pub/sub between hostile modules on the posix device: one module's publications cannot
starve another's out of a subscriber's queue (docs/security.md, "Modules against modules")."""

from __future__ import annotations

from tests.protocol.helpers import events_until, until
from tests.supervisor.modules import package
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient


def _state(c: DeviceClient, name: str) -> str:
    return next(m.state for m in c.modules() if m.name == name)


def test_a_flooding_publisher_does_not_starve_another_publishers_messages(
        client: DeviceClient) -> None:
    """A module publishing as fast as its slices allow kept a slow subscriber's queue full,
    so every message of a well-behaved publisher on the same topics found no room and was
    dropped: the subscriber got none of its 25 ticks. A full queue now gives way to a
    publisher holding fewer of its messages than the one holding the most."""
    c = client
    for name in ("slowsub", "pubflood", "publisher"):
        c.push(name, package(name))
    c.start("slowsub")
    # subscribed and blocked in receive before anything is published
    assert until(lambda: _state(c, "slowsub"), lambda s: s == "waiting") == "waiting"
    c.start("pubflood")
    c.start("publisher")  # "t/tick" 25 times, one every 20 ms, then it exits
    events_until(c, lambda e: e.module == "publisher" and e.kind == p.Msg.EV_EXIT,
                 timeout=180.0)
    c.stop("pubflood")
    # what was queued drains; then the subscriber waits in receive for good
    assert until(lambda: _state(c, "slowsub"), lambda s: s == "waiting") == "waiting"
    ticks = [ln for ln in c.logs().splitlines() if ln.startswith("slowsub: ticks ")]
    assert ticks and ticks[-1] == "slowsub: ticks 25", ticks
