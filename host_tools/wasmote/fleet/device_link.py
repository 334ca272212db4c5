"""One device of a gateway: a thread that holds its serial line (docs/fleet.md).

A session: open the line (itself, or through issue 18's relay with --relay), INFO (the
device id), subscribe to its events with the gateway's operate key, then loop: LIST,
publish its state, take each deployment's next step (reconcile.py: install with the
resumable push, verify the module's health for the deployment's window, remove, or report
waiting/halted), pass bridged messages both ways, renew the subscription. Any link failure
ends the session: the state says offline, and a new session starts when the device answers
again. A device refusal (DENIED, NO_SPACE, ...) is the result of that device's install,
never a retry loop.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError, DeviceRefused, LinkError
from wasmote.device.relay import open_line
from wasmote.device.transport import SerialTransport
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.reconcile import health, next_step
from wasmote.fleet.reports import DeviceReport, ModuleReport, Result, Status
from wasmote.fleet.topics import is_device_topic, is_module_name
from wasmote.terminal_text import escape_controls

if TYPE_CHECKING:
    from wasmote.fleet.gateway import Gateway

SUBSCRIPTION_S = 60      # renewed at half of it
INBOX_MAX = 32           # bridged messages waiting for the line; more are dropped
BACKOFF_MAX_S = 15.0     # between attempts to reach a device that does not answer


@dataclass
class Watch:
    """A module being verified after its install."""

    dep: Deployment
    until: float           # monotonic time the health window ends
    traps: int             # its counters before the install
    restarts: int
    generation: int


class DeviceLink(threading.Thread):
    def __init__(self, gw: Gateway, url: str) -> None:
        super().__init__(name=f"device {url}", daemon=True)
        self.gw = gw
        self.url = url
        self.device_id = ""
        self._inbox: queue.Queue[tuple[str, bytes]] = queue.Queue(INBOX_MAX)
        self._watch: dict[str, Watch] = {}
        self._relist = False
        self._last_report: DeviceReport | None = None
        self._answered = False
        self.dropped_in = 0
        self.dropped_out = 0

    # ---- from the gateway's MQTT thread -------------------------------------------------
    def inbound(self, topic: str, data: bytes) -> None:
        if not is_device_topic(topic) or len(data) > p.MESSAGE_MAX:
            self.dropped_in += 1
            return
        try:
            self._inbox.put_nowait((topic, data))
        except queue.Full:
            self.dropped_in += 1

    # ---- the thread ---------------------------------------------------------------------
    def run(self) -> None:
        backoff = 0.5
        last_error = ""
        while not self.gw.stopping.is_set():
            self._answered = False
            try:
                self._session()
            except DeviceError as e:
                why = escape_controls(e.one_line())
                self.gw.log(f"{self.url}: {why}")
                if isinstance(e, DeviceRefused) and why != last_error:
                    # e.g. AUTH: the device was not provisioned with this gateway's key
                    self.gw.notice("device", f"{self.url} ({self.device_id or '?'}): {why}")
                last_error = why
            except OSError as e:
                self.gw.log(f"{self.url}: {e}")
            finally:
                self._offline()
            backoff = 0.5 if self._answered else min(backoff * 2, BACKOFF_MAX_S)
            self.gw.stopping.wait(backoff)

    def _session(self) -> None:
        if "://" not in self.url and not os.path.exists(self.url):
            raise LinkError(f"{self.url}: no such port")  # unplugged: spawn no relay
        t = open_line(self.url, self.gw.cfg.baud) if self.gw.cfg.relay else \
            SerialTransport(self.url, self.gw.cfg.baud, open_timeout=1.0)
        try:
            c = DeviceClient(t, timeout=2.0, key=self.gw.cfg.device_key)
            info = c.info()
            self._answered = True  # the next attempt need not back off
            device_id = info.device_id.hex() if info.device_id else ""
            if not device_id or device_id == "0" * 32:
                self.gw.notice("device", f"{self.url}: the device reports no id (old "
                                         f"firmware or no random source): not served")
                self.gw.stopping.wait(30)
                return
            if not self.gw.claim(device_id, self):
                self.gw.notice("device", f"{self.url}: device id {device_id} is already "
                                         f"served by another port: not served")
                self.gw.stopping.wait(30)
                return
            if self.device_id != device_id:
                self._watch.clear()
            self.device_id = device_id
            self.gw.log(f"{self.url}: device {device_id} ({escape_controls(info.board)}, "
                        f"{escape_controls(info.firmware_version)})")
            c.on_bridge = self._bridged
            c.on_event = self._event
            self._serve(c, info)
        finally:
            t.close()

    def _serve(self, c: DeviceClient, info: p.DeviceInfo) -> None:
        gw = self.gw
        subscribed = 0.0
        while not gw.stopping.is_set():
            if time.monotonic() - subscribed > SUBSCRIPTION_S / 2:
                subscribed = time.monotonic()
                try:
                    c.subscribe(SUBSCRIPTION_S)  # module events and bridged messages
                except DeviceRefused as e:  # a firmware without SUBSCRIBE: poll only
                    self.gw.log(f"{self.url}: no event subscription: "
                                f"{escape_controls(e.message)}")
            generation = gw.generation
            modules = {m.name: m for m in c.modules()}
            self._relist = False
            self._report(info, modules, online=True)
            for dep in gw.desired():
                self._step(c, dep, modules)
            self._verify(modules)
            self._report(info, modules, online=True)  # what the steps changed, at once
            self._pass_inbox(c)
            # wait for something to do: a new deployment, a message in, an event, the poll
            poll = gw.cfg.verify_poll_s if self._watch else gw.cfg.poll_s
            deadline = time.monotonic() + poll
            while time.monotonic() < deadline and gw.generation == generation and \
                    self._inbox.empty() and not self._relist and not gw.stopping.is_set():
                c.receive(min(0.2, max(0.0, deadline - time.monotonic())))

    # ---- reconciliation -----------------------------------------------------------------
    def _step(self, c: DeviceClient, dep: Deployment, modules: dict[str, p.ModuleEntry]) -> None:
        installed = modules.get(dep.module)
        last = self.gw.state.result(self.device_id, dep.module)
        step = next_step(dep, self.device_id, self.gw.cfg.groups, installed, last)
        if step.kind == "report" and step.status is not None:
            self._result(dep, step.status)
        elif step.kind == "remove":
            try:
                c.remove(dep.module)
            except DeviceRefused as e:
                self._result(dep, "failed", e.message)
                return
            modules.pop(dep.module, None)
            self._result(dep, "removed")
        elif step.kind == "install":
            self._install(c, dep, installed, modules)
        elif step.kind == "verify" and dep.module not in self._watch:
            # installed earlier (before a restart of the gateway, or just now): watch it
            assert installed is not None
            self._start_watch(dep, installed.traps, installed.restarts, installed)

    def _install(self, c: DeviceClient, dep: Deployment, installed: p.ModuleEntry | None,
                 modules: dict[str, p.ModuleEntry]) -> None:
        data = self.gw.state.package(dep.sha256)
        if data is None:
            self._result(dep, "waiting", "the package has not arrived from the broker yet")
            return
        self._result(dep, "installing", f"0/{len(data)} bytes")
        traps = installed.traps if installed is not None else 0
        restarts = installed.restarts if installed is not None else 0
        quarter = [0]

        def progress(acked: int, size: int) -> None:  # a result at every quarter
            q = 4 * acked // size if size else 4
            if q > quarter[0]:
                quarter[0] = q
                self._result(dep, "installing", f"{acked}/{size} bytes")

        try:
            c.push(dep.module, data, progress=progress)
        except DeviceRefused as e:  # the device said no: that is this device's result
            self._result(dep, "failed", f"install refused: {e.message} ({e.status_name})")
            return
        self.gw.log(f"{self.url}: installed {dep.module} {dep.version} on {self.device_id}")
        entry = {m.name: m for m in c.modules()}.get(dep.module)
        if entry is not None:
            modules[dep.module] = entry
        self._start_watch(dep, traps, restarts, entry)

    def _start_watch(self, dep: Deployment, traps: int, restarts: int,
                     entry: p.ModuleEntry | None) -> None:
        gen = entry.generation if entry is not None else 0
        self._watch[dep.module] = Watch(dep, time.monotonic() + dep.health_s, traps,
                                        restarts, gen)
        self._result(dep, "verifying", generation=gen)

    def _verify(self, modules: dict[str, p.ModuleEntry]) -> None:
        for name, w in list(self._watch.items()):
            current = {d.module: d for d in self.gw.desired()}.get(name)
            if current is None or current.rollout != w.dep.rollout:
                del self._watch[name]  # superseded by another rollout
                continue
            verdict = health(modules.get(name), w.traps, w.restarts)
            if verdict.status == "failed":
                self._result(current, "failed", verdict.detail, w.generation)
            elif time.monotonic() >= w.until:
                self._result(current, "healthy", generation=w.generation)
            else:
                continue
            del self._watch[name]

    def _result(self, dep: Deployment, status: Status, detail: str = "",
                generation: int = 0) -> None:
        self.gw.record(self.device_id, Result(dep.module, dep.rollout, dep.seq, status,
                                              dep.version, dep.sha256, detail[:256],
                                              generation))

    # ---- reports ------------------------------------------------------------------------
    def _report(self, info: p.DeviceInfo, modules: dict[str, p.ModuleEntry],
                online: bool) -> None:
        mods = tuple(ModuleReport(
            m.name, m.sha256.hex(),
            ".".join(map(str, m.version)) if m.version != (0, 0, 0)
            else self.gw.version_of(m.sha256.hex()),
            m.state, m.traps, m.restarts, m.last_trap[:256], m.generation)
            for m in modules.values() if is_module_name(m.name))
        report = DeviceReport(self.device_id, self.gw.cfg.name, online, self.url,
                              info.board[:64], info.firmware_version[:64],
                              self.gw.cfg.groups, info.keys > 0,
                              bool(info.features & p.FEAT_BRIDGE), info.boots, mods)
        self._last_report = report
        self.gw.publish_retained(self.gw.topics.state(self.gw.cfg.name, self.device_id),
                                 report.to_bytes())

    def _offline(self) -> None:
        if not self.device_id:
            return
        last = self._last_report
        if last is not None and last.online:
            report = replace(last, online=False)
            self._last_report = report
            self.gw.publish_retained(self.gw.topics.state(self.gw.cfg.name, self.device_id),
                                     report.to_bytes())
        self.gw.release(self.device_id, self)

    # ---- events and the bridge ----------------------------------------------------------
    def _event(self, ev: p.Event) -> None:
        if ev.kind in (p.Msg.EV_TRAP, p.Msg.EV_EXIT, p.Msg.EV_BOOT):
            self._relist = True  # look at the modules now, not at the next poll

    def _bridged(self, m: p.BridgeMessage) -> None:
        # everything here came from the device: names must fit the topic schema
        if not is_module_name(m.module) or not is_device_topic(m.topic) or \
                len(m.data) > p.MESSAGE_MAX:
            self.dropped_out += 1
            return
        self.gw.publish(self.gw.topics.bridge_out(self.gw.cfg.name, self.device_id, m.module,
                                                  m.topic), m.data)

    def _pass_inbox(self, c: DeviceClient) -> None:
        while True:
            try:
                topic, data = self._inbox.get_nowait()
            except queue.Empty:
                return
            try:
                c.bridge_in(topic, data)
            except DeviceRefused as e:
                self.gw.log(f"{self.url}: BRIDGE_IN {topic}: {escape_controls(e.message)}")
