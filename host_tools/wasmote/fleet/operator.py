"""The operator's side (`wasmote fleet deploy/rollback/status/ls`): a view of the fleet
from the broker's retained messages, publishing packages and signed deployments, driving a
staged rollout to its end, and rolling back (docs/fleet.md).

Nothing here runs as a server: `deploy` publishes the first stage and follows the
gateways' reports until the rollout is done or halted; interrupted, the rollout stays
where it is (the gateways hold it) and `deploy` of the same package drives it on.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.fleet.credentials import Credentials
from wasmote.fleet.deployment import Deployment, first_stage, new_rollout_id
from wasmote.fleet.errors import BrokerError, FleetError, MessageRejected
from wasmote.fleet.mqtt import MqttLink, client_id
from wasmote.fleet.reports import DeviceReport, GatewayPresence, Notice, Result
from wasmote.fleet.rollout import Decision, Tally, decide, tally
from wasmote.fleet.signed import SignedMessage, sign, verify
from wasmote.fleet.topics import FleetTopics
from wasmote.package.container import parse_package
from wasmote.package.errors import PackageError
from wasmote.package.keys import sign_package
from wasmote.package.manifest import Version

NOTICES_KEPT = 1000


@dataclass
class FleetView:
    """What the broker holds about a fleet, each document checked; kept current."""

    deployments: dict[str, Deployment] = field(default_factory=dict)
    untrusted: dict[str, str] = field(default_factory=dict)  # module -> why not accepted
    devices: dict[str, DeviceReport] = field(default_factory=dict)
    results: dict[tuple[str, str], Result] = field(default_factory=dict)
    gateways: dict[str, GatewayPresence] = field(default_factory=dict)
    # (gateway, notice), the most recent NOTICES_KEPT
    notices: deque[tuple[str, Notice]] = field(
        default_factory=lambda: deque(maxlen=NOTICES_KEPT))
    packages: dict[str, bytes] = field(default_factory=dict)
    bad_reports: int = 0
    # where each device's report came from: a device id reported by two gateways keeps
    # the online one
    _state_of: dict[str, str] = field(default_factory=dict)
    # every gateway's report of every device id, and every gateway's results: `results`
    # holds those of the gateway whose report `devices` holds. A device id is the device's
    # word (INFO), so any device at any gateway can claim another's; its gateway's results
    # must not stand for the real one's.
    _reports: dict[tuple[str, str], DeviceReport] = field(default_factory=dict)
    _results: dict[tuple[str, str, str], Result] = field(default_factory=dict)

    def max_seq(self) -> int:
        return max((d.seq for d in self.deployments.values()), default=0)

    def gateways_down(self) -> set[str]:
        return {g for g, p in self.gateways.items() if not p.online}

    def take_state(self, topic: str, r: DeviceReport) -> None:
        """A gateway's report of a device (its topic checked to be about this one)."""
        self._reports[(r.gateway, r.device)] = r
        held = self.devices.get(r.device)
        if held is None or r.online or not held.online or self._state_of.get(r.device) == topic:
            self.devices[r.device] = r
            self._state_of[r.device] = topic
            if held is None or held.gateway != r.gateway:
                for key in [k for k in self.results if k[0] == r.device]:
                    del self.results[key]
                for (g, d, m), res in self._results.items():
                    if g == r.gateway and d == r.device:
                        self.results[(d, m)] = res

    def take_result(self, gateway: str, device: str, res: Result) -> None:
        self._results[(gateway, device, res.module)] = res
        held = self.devices.get(device)
        if held is None or held.gateway == gateway:
            self.results[(device, res.module)] = res

    def disputed(self) -> dict[str, tuple[str, ...]]:
        """Device ids that more than one gateway reports online: at most one of them is
        that device, so none is believed (each counts as failed in a rollout)."""
        down = self.gateways_down()
        by: dict[str, set[str]] = {}
        for (g, d), r in self._reports.items():
            if r.online and g not in down:
                by.setdefault(d, set()).add(g)
        return {d: tuple(sorted(gs)) for d, gs in by.items() if len(gs) > 1}

    def tally(self, dep: Deployment) -> Tally:
        return tally(dep, self.devices, self.results, self.gateways_down(), self.disputed())


ProgressFn = Callable[[Deployment, Tally], None]


@dataclass(frozen=True)
class Outcome:
    deployment: Deployment  # the last message published for the rollout
    tally: Tally

    @property
    def halted(self) -> bool:
        return self.deployment.halted


class Operator:
    def __init__(self, creds: Credentials, *, trusted: tuple[bytes, ...],
                 key: Ed25519PrivateKey | None = None) -> None:
        self.creds = creds
        self.topics = FleetTopics(creds.fleet)
        self.trusted = trusted
        self.key = key
        self.view = FleetView()
        self._cond = threading.Condition()
        self._synced: set[str] = set()  # sync markers that came back
        self.link = MqttLink(creds, client_id(f"wasmote-op-{creds.user}"),
                             on_message=self._message)

    def __enter__(self) -> Operator:
        self.connect()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def connect(self, timeout: float = 15.0) -> None:
        self.link.connect(timeout)
        t = self.topics
        for topic in (t.all_deployments, t.all_states, t.all_results, t.all_online,
                      f"{t.base}/gw/+/events", f"{t.ops(self.creds.user)}/#"):
            self.link.subscribe_checked(topic)
        self.sync()

    def close(self) -> None:
        self.link.close()

    # ---- the view -----------------------------------------------------------------------
    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        t = self.topics.parse(topic)
        v = self.view
        with self._cond:
            try:
                if t.kind == "deploy" and payload:
                    self._deployment(t.module, payload)
                elif t.kind == "state" and payload:
                    r = DeviceReport.from_bytes(payload)
                    if r.device != t.device or r.gateway != t.gateway:
                        raise MessageRejected("a report about another device")
                    v.take_state(topic, r)
                elif t.kind == "result" and payload:
                    res = Result.from_bytes(payload)
                    if res.module != t.module:
                        raise MessageRejected("a result about another module")
                    v.take_result(t.gateway, t.device, res)
                elif t.kind == "online" and payload:
                    v.gateways[t.gateway] = GatewayPresence.from_bytes(payload)
                elif t.kind == "events" and not retained:
                    v.notices.append((t.gateway, Notice.from_bytes(payload)))
                elif t.kind == "pkg":
                    v.packages[t.rest] = payload
                elif t.kind == "ops":
                    self._synced.add(t.rest)
            except MessageRejected:
                v.bad_reports += 1
            self._cond.notify_all()

    def _deployment(self, module: str, raw: bytes) -> None:
        try:
            dep = Deployment.from_payload(verify(SignedMessage.from_bytes(raw), self.trusted))
            if dep.module != module or dep.fleet != self.creds.fleet:
                raise MessageRejected("published on another module's topic")
        except MessageRejected as e:
            self.view.untrusted[module] = str(e)
            return
        held = self.view.deployments.get(module)
        if held is None or dep.seq > held.seq:
            self.view.deployments[module] = dep
            self.view.untrusted.pop(module, None)

    def sync(self, timeout: float = 30.0) -> None:
        """Returns once every retained message of the subscriptions has arrived: a marker
        published now comes back after them (the broker delivers in order)."""
        marker = secrets.token_hex(8)
        with self._cond:
            self._synced = set()
        self.link.publish_checked(f"{self.topics.ops(self.creds.user)}/sync/{marker}", b"")
        self.wait_for(lambda: f"{self.creds.user}/sync/{marker}" in self._synced, timeout,
                      "the broker's retained messages")

    def wait_for(self, cond: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not cond():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrokerError(f"timed out after {timeout:g} s waiting for {what}")
                self._cond.wait(min(left, 0.5))

    def snapshot(self) -> FleetView:
        with self._cond:
            v = self.view
            return replace(v, deployments=dict(v.deployments), untrusted=dict(v.untrusted),
                           devices=dict(v.devices), results=dict(v.results),
                           gateways=dict(v.gateways), _reports=dict(v._reports),
                           _results=dict(v._results),
                           notices=deque(v.notices, maxlen=NOTICES_KEPT),
                           packages=dict(v.packages))

    # ---- publishing ---------------------------------------------------------------------
    def next_seq(self) -> int:
        """Above every deployment the fleet holds, and at least the time in milliseconds:
        a broker that lost its retained messages does not make a new message a replay."""
        with self._cond:
            return max(self.view.max_seq() + 1, int(time.time() * 1000))

    def publish_package(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.link.publish_checked(self.topics.package(sha), data, retain=True)
        return sha

    def publish(self, dep: Deployment) -> Deployment:
        if self.key is None:
            raise FleetError("publishing a deployment needs the fleet key (--key)")
        raw = sign(dep.to_payload(), self.key).to_bytes()
        self.link.publish_checked(self.topics.deployment(dep.module), raw, retain=True)
        with self._cond:
            self._deployment(dep.module, raw)
        return dep

    def fetch_package(self, sha: str, timeout: float = 30.0) -> bytes:
        topic = self.topics.package(sha)
        self.link.subscribe_checked(topic)
        self.sync(timeout)
        data = self.view.packages.get(sha)
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            raise FleetError(f"the broker does not hold package {sha[:16]}")
        return data

    # ---- deploy, drive, roll back -------------------------------------------------------
    def deploy(self, package: bytes, *, group: str = "", devices: tuple[str, ...] = (),
               percent: int = 100, max_failures: int = 0, health_s: float = 10.0,
               rollback_of: str = "") -> Deployment:
        """Publishes the package and the first message of a new rollout (or returns the
        current one if this very package is being rolled out already: run `drive`)."""
        try:
            pkg = parse_package(package)
        except PackageError as e:
            raise FleetError(f"not a package: {e}") from None
        if pkg.signature is None:
            raise FleetError("the package is not signed: a provisioned device refuses it "
                             "(wasmote sign PKG --key ...)")
        sha = hashlib.sha256(package).hexdigest()
        module = pkg.manifest.name
        with self._cond:
            cur = self.view.deployments.get(module)
            down = self.view.gateways_down()
            known = [d for d in self.view.devices.values()
                     if d.online and d.gateway not in down]
        if cur is not None and cur.sha256 == sha and not cur.halted and \
                (cur.group, cur.devices) == (group, devices):
            return cur  # already rolling out (or done): drive it on
        self.publish_package(package)
        rollout = new_rollout_id()
        dep = Deployment(self.creds.fleet, module, self.next_seq(), rollout, "install",
                         str(pkg.manifest.version), sha, len(package), group, devices,
                         percent=percent, max_failures=max_failures, health_s=health_s,
                         previous_version=cur.version if cur is not None else "",
                         previous_sha256=cur.sha256 if cur is not None else "",
                         rollback_of=rollback_of, issued_at=int(time.time()))
        if percent < 100:
            online = [d.device for d in known if dep.targets(d.device, d.groups)]
            dep = replace(dep, staged=True, stage=first_stage(rollout, online, percent))
        return self.publish(dep)

    def remove(self, module: str, *, group: str = "", devices: tuple[str, ...] = ()
               ) -> Deployment:
        with self._cond:
            cur = self.view.deployments.get(module)
        return self.publish(Deployment(
            self.creds.fleet, module, self.next_seq(), new_rollout_id(), "remove",
            group=group, devices=devices,
            previous_version=cur.version if cur is not None else "",
            previous_sha256=cur.sha256 if cur is not None else "",
            issued_at=int(time.time())))

    def status(self, module: str) -> tuple[Deployment, Tally] | None:
        with self._cond:
            dep = self.view.deployments.get(module)
            if dep is None:
                return None
            return dep, self.view.tally(dep)

    def drive(self, module: str, *, progress: ProgressFn | None = None,
              timeout: float | None = None) -> Outcome:
        """Follows the rollout of `module` to its end: promotes the first stage, halts past
        max_failures, returns once every online target has its result."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last: tuple[int, Tally] | None = None
        while True:
            with self._cond:
                dep = self.view.deployments.get(module)
                if dep is None:
                    raise FleetError(f"no deployment of {module} in fleet {self.creds.fleet}")
                t = self.view.tally(dep)
                decision: Decision = decide(dep, t)
            if progress is not None and last != (dep.seq, t):
                progress(dep, t)
                last = (dep.seq, t)
            if decision == "done":
                return Outcome(dep, t)
            if decision == "halt":
                self.publish(dep.stopped(self.next_seq()))
                continue
            if decision == "promote":
                self.publish(dep.promoted(self.next_seq()))
                continue
            if deadline is not None and time.monotonic() > deadline:
                raise FleetError(f"the rollout of {module} did not finish within "
                                 f"{timeout:g} s ({t.done}/{t.targets} done)")
            with self._cond:
                self._cond.wait(0.5)

    def rollback(self, module: str, package_key: Ed25519PrivateKey, *,
                 max_failures: int = 0, health_s: float = 10.0) -> Deployment:
        """Returns `module` to the version before the current one. Devices refuse older
        versions (replay protection), so the previous package's content is published as a
        new version above the current one (patch + 1), signed by the package key: no
        downgrade path exists for anyone without that key (docs/security.md)."""
        with self._cond:
            cur = self.view.deployments.get(module)
        if cur is None or cur.action != "install":
            raise FleetError(f"{module}: no installed deployment to roll back")
        if not cur.previous_sha256:
            raise FleetError(f"{module} {cur.version}: no previous version recorded to "
                             f"return to")
        old = parse_package(self.fetch_package(cur.previous_sha256))
        a, b, c = (int(x) for x in cur.version.split("."))
        if c == 0xFFFF:
            raise FleetError(f"{module} {cur.version}: no patch number left above it")
        again = replace(old, manifest=replace(old.manifest, version=Version(a, b, c + 1)),
                        signature=None)
        return self.deploy(sign_package(again, package_key).to_bytes(), group=cur.group,
                           devices=cur.devices, max_failures=max_failures,
                           health_s=health_s, rollback_of=cur.rollout)
