"""A device claims another device's id (docs/fleet.md). A device id is what the device
says in INFO, so a device at any gateway can take a real device's id, and its honest
gateway then publishes reports and results for it under its own topics. The operator's
view took results by (device, module) from any gateway, the last one winning: a fake that
reported `healthy` hid the real device's failure and the rollout was promoted. Now a
gateway's results count only with the report the view holds for the device, and an id two
gateways report online is disputed: a failure in every rollout that targets it, shown by
`fleet ls`. Driven through the operator's message handler, no broker needed."""

from __future__ import annotations

from wasmote.fleet.credentials import BrokerAddress, Credentials
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.operator import Operator
from wasmote.fleet.render import device_lines
from wasmote.fleet.reports import DeviceReport, GatewayPresence, ModuleReport, Result
from wasmote.fleet.rollout import decide

D = "d" * 32
SHA = "5" * 64
ROLLOUT = "0123456789abcdef"


def operator() -> Operator:
    creds = Credentials(BrokerAddress("127.0.0.1", 1, False), "plant", "op", "pw")
    op = Operator(creds, trusted=())
    for gw in ("gw1", "gw2"):
        op._message(f"wasmote/plant/gw/{gw}/online", GatewayPresence(True, 1).to_bytes(),
                    True)
    return op


def state(op: Operator, gw: str, online: bool = True) -> None:
    r = DeviceReport(D, gw, online, modules=(ModuleReport("app", SHA, "1.1.0", "ready"),))
    op._message(f"wasmote/plant/gw/{gw}/dev/{D}/state", r.to_bytes(), True)


def result(op: Operator, gw: str, status: str) -> None:
    r = Result("app", ROLLOUT, 10, status)  # type: ignore[arg-type]
    op._message(f"wasmote/plant/gw/{gw}/dev/{D}/result/app", r.to_bytes(), True)


DEP = Deployment(fleet="plant", module="app", seq=10, rollout=ROLLOUT, version="1.1.0",
                 sha256=SHA, size=100, devices=(D,))


def test_a_device_claiming_another_s_id_cannot_report_for_it() -> None:
    op = operator()
    state(op, "gw1")
    result(op, "gw1", "failed")  # the real device
    state(op, "gw2")
    result(op, "gw2", "healthy")  # the impostor at another gateway, last
    t = op.view.tally(DEP)
    assert (t.healthy, t.failed) == (0, 1)
    assert decide(DEP, t) == "halt"
    assert "gw1, gw2" in t.failures[0][1]
    assert any(line.startswith(f"disputed: {D}") for line in device_lines(op.snapshot()))


def test_a_device_that_moved_reports_through_its_new_gateway() -> None:
    op = operator()
    state(op, "gw1")
    result(op, "gw1", "failed")
    state(op, "gw1", online=False)  # unplugged there ...
    state(op, "gw2")               # ... and plugged in here
    assert op.view.tally(DEP).failed == 0  # gw1's result is not this gateway's
    result(op, "gw2", "healthy")
    t = op.view.tally(DEP)
    assert (t.healthy, t.failed) == (1, 0) and decide(DEP, t) == "done"
    result(op, "gw1", "failed")  # a stale result of the old gateway changes nothing
    assert op.view.tally(DEP).healthy == 1
    assert not any(line.startswith("disputed") for line in device_lines(op.snapshot()))
