"""Staged rollouts (docs/fleet.md, "Rollouts"): how far a rollout is, from the reports of
every gateway, and what the operator's tool does next: promote the first stage to every
targeted device once each of its devices that is online has a final result, halt once
more than max_failures devices failed, or finish once every online target has one.
Devices that are offline do not hold a rollout up: they converge when they come back."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from wasmote.fleet.deployment import Deployment
from wasmote.fleet.reports import DeviceReport, Result

Decision = Literal["wait", "promote", "halt", "done"]


@dataclass(frozen=True)
class Tally:
    targets: int = 0        # devices the deployment is for (that the broker knows)
    online: int = 0
    healthy: int = 0
    removed: int = 0
    failed: int = 0
    busy: int = 0           # installing or verifying
    waiting: int = 0        # waiting for the next stage (or for the package)
    halted: int = 0         # not installed: the rollout was halted
    offline: int = 0        # targets offline without a final result
    unsettled: int = 0      # online targets of the current stage without a final result
    failures: tuple[tuple[str, str], ...] = ()  # (device, detail) of each failure

    @property
    def done(self) -> int:
        return self.healthy + self.removed + self.failed


def tally(dep: Deployment, devices: Mapping[str, DeviceReport],
          results: Mapping[tuple[str, str], Result],
          gateways_down: Collection[str] = (),
          disputed: Mapping[str, Collection[str]] | None = None) -> Tally:
    """`gateways_down`: gateways whose presence says offline (their last will): their
    devices' reports are stale, so those devices count as offline. `disputed`: device ids
    more than one gateway reports online (FleetView.disputed), each a failure: one of those
    devices claims another's id, and its result must not promote a rollout."""
    counts = dict.fromkeys(("targets", "online", "healthy", "removed", "failed", "busy",
                            "waiting", "halted", "offline", "unsettled"), 0)
    failures = []
    for dev in devices.values():
        if not dep.targets(dev.device, dev.groups):
            continue
        online = dev.online and dev.gateway not in gateways_down
        counts["targets"] += 1
        counts["online"] += online
        claimed = (disputed or {}).get(dev.device)
        if claimed:
            counts["failed"] += 1
            failures.append((dev.device, f"its id is reported online by gateways "
                                         f"{', '.join(claimed)}: a device claims another's id"))
            continue
        r = results.get((dev.device, dep.module))
        status = r.status if r is not None and r.rollout == dep.rollout else None
        if status in ("healthy", "removed", "failed"):
            counts[status] += 1
            if status == "failed" and r is not None:
                failures.append((dev.device, r.detail))
            continue
        if not online:
            counts["offline"] += 1
            continue
        if status in ("installing", "verifying"):
            counts["busy"] += 1
        elif status in ("waiting", "halted"):
            counts[status] += 1
        if dep.in_stage(dev.device) and not (dep.halted and status == "halted"):
            counts["unsettled"] += 1
    return Tally(**counts, failures=tuple(sorted(failures)))


def decide(dep: Deployment, t: Tally) -> Decision:
    if dep.halted:
        return "done" if t.busy == 0 else "wait"
    if t.failed > dep.max_failures:
        return "halt"
    if t.unsettled > 0:
        return "wait"
    return "promote" if dep.staged else "done"
