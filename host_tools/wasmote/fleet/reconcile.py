"""A device's next step toward a deployment, and the health verdict after an install: pure
functions of what the device reports (LIST) and what the gateway recorded, so a gateway
that restarts decides from the device itself and never installs a package twice
(docs/fleet.md, "Reconciliation")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from wasmote.device.protocol import ModuleEntry
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.reports import Result, Status

Kind = Literal["none", "report", "install", "verify", "remove"]
# Module states that mean it failed (docs/supervisor.md); "stopped" after an install is
# its CPU budget or a failed start, never the gateway's doing.
FAILED_STATES = frozenset({"trapped", "failed", "disabled", "stopped"})


@dataclass(frozen=True)
class Step:
    kind: Kind
    status: Status | None = None  # for "report": the result to record


NOTHING = Step("none")


def next_step(dep: Deployment, device_id: str, groups: Iterable[str],
              installed: ModuleEntry | None, last: Result | None) -> Step:
    """What to do about `dep` on this device. `installed` is the device's LIST entry for
    the module (None: absent), `last` the result recorded for this device and module."""
    if not dep.targets(device_id, groups):
        return NOTHING
    same_rollout = last is not None and last.rollout == dep.rollout
    if dep.action == "remove":
        if installed is not None:
            return Step("remove")
        return NOTHING if same_rollout and last is not None and last.status == "removed" \
            else Step("report", "removed")
    has = installed is not None and installed.sha256.hex() == dep.sha256
    if same_rollout and last is not None and last.final:
        # Decided for this rollout. Healthy but gone (the device lost it): back again.
        return Step("install") if last.status == "healthy" and not has and \
            not dep.halted else NOTHING
    if has:
        return Step("verify")  # installed (maybe before a restart): watch it
    if dep.halted:
        return _report(last, dep, "halted")
    if not dep.in_stage(device_id):
        return _report(last, dep, "waiting")
    return Step("install")


def _report(last: Result | None, dep: Deployment, status: Status) -> Step:
    if last is not None and last.rollout == dep.rollout and last.status == status:
        return NOTHING
    return Step("report", status)


@dataclass(frozen=True)
class Verdict:
    status: Literal["ok", "failed"]
    detail: str = ""


def health(entry: ModuleEntry | None, traps_before: int, restarts_before: int) -> Verdict:
    """The module after its install: failed if it is gone, trapped, could not start, was
    stopped (CPU budget) or disabled, or trapped or restarted since the install (a crash
    loop with on_trap = "restart" passes through running states)."""
    if entry is None:
        return Verdict("failed", "the module is gone")
    why = entry.last_trap or entry.state
    if entry.state in FAILED_STATES:
        return Verdict("failed", f"{entry.state}: {why}")
    if entry.traps > traps_before or entry.restarts > restarts_before:
        return Verdict("failed", f"trapped {entry.traps - traps_before} time(s) since the "
                                 f"install: {why}")
    return Verdict("ok")
