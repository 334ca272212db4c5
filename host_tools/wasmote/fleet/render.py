"""Text for `wasmote fleet status` and `wasmote fleet ls`: everything that came from a
gateway or a device is escaped (terminal_text), since any of them may be hostile."""

from __future__ import annotations

from wasmote.fleet.deployment import Deployment
from wasmote.fleet.operator import FleetView
from wasmote.fleet.rollout import Tally
from wasmote.terminal_text import escape_controls as esc

BAR = 30


def progress_bar(done: int, total: int, width: int = BAR) -> str:
    filled = width * done // total if total else width
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def stage_text(dep: Deployment) -> str:
    if dep.halted:
        return "HALTED"
    if dep.staged:
        return f"first stage ({dep.percent}%: {len(dep.stage)} device(s)), then the rest"
    return "every target"


def rollout_lines(dep: Deployment, t: Tally) -> list[str]:
    what = f"{dep.version}" if dep.action == "install" else "removal"
    head = (f"{dep.module} {what} -> {dep.describe_targets()}: rollout {dep.rollout}, "
            f"{stage_text(dep)}, max failures {dep.max_failures}")
    if dep.rollback_of:
        head += f" (rolls back rollout {dep.rollback_of})"
    counts = (f"{t.done}/{t.targets} done: {t.healthy + t.removed} ok, {t.failed} failed, "
              f"{t.busy} installing, {t.waiting} waiting, {t.halted} halted, "
              f"{t.offline} offline")
    lines = [head, f"  {progress_bar(t.done, t.targets)} {counts}"]
    lines += [f"  failed {d[:12]}: {esc(why)}" for d, why in t.failures]
    return lines


def status_lines(view: FleetView, module: str | None = None) -> list[str]:
    out: list[str] = []
    for name in sorted(view.deployments):
        if module is not None and name != module:
            continue
        dep = view.deployments[name]
        out += rollout_lines(dep, view.tally(dep))
    for name, why in sorted(view.untrusted.items()):
        if module is None or name == module:
            out.append(f"{name}: the broker holds a deployment that is not trusted: "
                       f"{esc(why)}")
    if not out:
        out.append("no deployments" + (f" of {module}" if module else ""))
    return out


def device_lines(view: FleetView) -> list[str]:
    if not view.devices:
        return ["no devices"]
    out = [f"{'DEVICE':<12} {'GATEWAY':<12} {'ONLINE':<6} {'BOARD':<14} {'FIRMWARE':<10} "
           f"MODULES"]
    down = view.gateways_down()
    for dev in sorted(view.devices.values(), key=lambda d: (d.gateway, d.device)):
        online = dev.online and dev.gateway not in down
        mods = ", ".join(f"{esc(m.name)} {esc(m.version) or '?'} ({esc(m.state)})"
                         for m in dev.modules) or "-"
        out.append(f"{dev.device[:12]:<12} {esc(dev.gateway):<12} "
                   f"{'yes' if online else 'no':<6} {esc(dev.board)[:14]:<14} "
                   f"{esc(dev.firmware)[:10]:<10} {mods}")
    gws = ", ".join(f"{esc(g)} ({'online' if p.online else 'offline'})"
                    for g, p in sorted(view.gateways.items()))
    out.append(f"gateways: {gws or 'none'}")
    for dev_id, claimed in sorted(view.disputed().items()):
        out.append(f"disputed: {dev_id} is reported online by gateways "
                   f"{', '.join(esc(g) for g in claimed)}: a device claims another's id "
                   f"(rollouts count it as failed)")
    return out
