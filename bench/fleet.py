"""One rollout to N posix devices behind 4 gateways, through a private Mosquitto (TLS, ACL,
the configuration `wasmote fleet init` writes), for N = 50, 100, 200.

Measured per N, from the operator's first deployment message to the last device's
"healthy" result: time to converge; the broker's own counters ($SYS, read before and
after) as messages and bytes per device, in (published by clients) and out (delivered);
the gateways' CPU time (utime + stime of the four processes) per device; and, with the
fleet idle afterwards, the gateways' CPU share and the broker traffic per device and
minute. The reference, measured in the same run on the same devices: four threads (one
per gateway) pushing the same signed package to their devices directly with the client
library, each with an operator token for LIST (what a gateway must do at least).

The package is install-only (no autostart, health window 0): 200 device processes each
running a module would each wake their scheduler every millisecond on this machine's
2 cores, and the benchmark would measure that instead of the fleet.

    python -m bench.fleet [--sizes 50,100,200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fleet.harness import Broker, GatewayProcess, Recorder, provision
from tests.fleet.modules import package
from tests.harness.posix_device import PosixDevice
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.fleet.credentials import Credentials
from wasmote.fleet.mqtt import MqttLink, client_id
from wasmote.fleet.operator import Operator
from wasmote.package.keys import (
    load_private_key,
    load_public_key,
    save_private_key,
)
from wasmote.runtime.host_device import build_device
from wasmote.sim import free_port

GATEWAYS = 4
SYS = ("messages/received", "messages/sent", "bytes/received", "bytes/sent")
IDLE_S = 30.0


@dataclass
class Row:
    devices: int
    converge_s: float
    direct_s: float
    ratio: float
    publishes_per_device: float  # PUBLISH messages of the fleet's topics (all clients)
    payload_per_device: float    # their payload bytes
    packets_in_per_device: float  # every MQTT packet the broker received ($SYS)
    bytes_in_per_device: float
    bytes_out_per_device: float
    gateway_cpu_s_per_device: float
    idle_gateway_cpu_pct: float
    idle_msgs_per_device_min: float


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SysCounters:
    """The broker's $SYS counters (published every second: sys_interval 1)."""

    def __init__(self, creds: Credentials) -> None:
        self.values: dict[str, int] = {}
        self._lock = threading.Lock()
        self.link = MqttLink(creds, client_id("sys"), on_message=self._got)
        self.link.connect()
        self.link.subscribe_checked("$SYS/broker/#")

    def _got(self, topic: str, payload: bytes, _retained: bool) -> None:
        key = topic.removeprefix("$SYS/broker/")
        if key in SYS:
            with self._lock:
                self.values[key] = int(payload)

    def read(self) -> dict[str, int]:
        """The values as of now: the broker publishes a counter each second it changed."""
        time.sleep(1.5)
        deadline = time.monotonic() + 10
        while True:
            with self._lock:
                if all(k in self.values for k in SYS):
                    return dict(self.values)
            if time.monotonic() > deadline:
                raise RuntimeError("no $SYS counters from the broker")
            time.sleep(0.1)


def direct(groups: list[list[str]], keys: list[Ed25519PrivateKey], data: bytes) -> float:
    """The reference: one thread per gateway pushing a package (of another module, so the
    rollout still has to install its own) to its devices, LIST before and after."""
    errors: list[BaseException] = []

    def worker(urls: list[str], key: Ed25519PrivateKey) -> None:
        try:
            for url in urls:
                c = DeviceClient(SerialTransport(url), timeout=5, key=key)
                try:
                    c.modules()
                    c.push("ref", data)  # data: the package of module "ref"
                    c.modules()
                finally:
                    c.transport.close()
        except BaseException as e:  # reported after the join
            errors.append(e)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(g, k)) for g, k in zip(groups, keys,
                                                                            strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t0


def measure(n: int, root: Path) -> Row:
    broker = Broker.create(root / "fleet", "bench", [f"gw{i}" for i in range(GATEWAYS)])
    conf = broker.setup.broker
    conf.conf.write_text(conf.conf.read_text().replace("log_type notice\n", "") +
                         "sys_interval 1\n")
    conf.acl.write_text(conf.acl.read_text() + "\nuser operator\ntopic read $SYS/#\n")
    broker.start()
    keys = {k: Ed25519PrivateKey.generate() for k in ("package", "admin")}
    keys |= {f"gw{i}": Ed25519PrivateKey.generate() for i in range(GATEWAYS)}
    devices: list[PosixDevice] = []
    gateways: list[GatewayProcess] = []
    op = sys_counters = rec = None
    try:
        groups: list[list[str]] = [[] for _ in range(GATEWAYS)]
        for i in range(n):
            d = PosixDevice(root / f"d{i}.bin", port=free_port(), flash_size=96 * 1024,
                            kv=16 * 1024).start()
            devices.append(d)
            provision(d.url, keys, f"gw{i % GATEWAYS}")
            groups[i % GATEWAYS].append(d.url)
        gw_keys = [keys[f"gw{i}"] for i in range(GATEWAYS)]
        data = package("app-good", "1.0.0", module="bench", key=keys["package"],
                       autostart=False)
        direct_s = direct(groups, gw_keys, package("app-good", "1.0.0", module="ref",
                                                   key=keys["package"], autostart=False))
        for i in range(GATEWAYS):
            save_private_key(gw_keys[i], root / f"gw{i}.key")
            args = ["--credentials", str(broker.credentials(f"gw{i}")), "--key",
                    str(root / f"gw{i}.key"), "--state-dir", str(root / f"state{i}")]
            for url in groups[i]:
                args += ["--device", url]
            gateways.append(GatewayProcess(f"gw{i}", args, root / f"gw{i}.log").start())
        creds = Credentials.load(broker.credentials("operator"))
        op = Operator(creds, trusted=(load_public_key(broker.setup.fleet_pub),),
                      key=load_private_key(broker.setup.fleet_key))
        op.connect()
        op.wait_for(lambda: sum(d.online for d in op.view.devices.values()) == n, 600,
                    f"{n} devices online")
        sys_counters = SysCounters(creds)
        rec = Recorder(broker.credentials("operator"))
        time.sleep(2)  # let the gateways' first reports settle
        before = sys_counters.read()
        rec_before = len(rec.messages)
        cpu0 = sum(cpu_seconds(g.proc.pid) for g in gateways if g.proc is not None)
        t0 = time.perf_counter()
        op.deploy(data, health_s=0)
        out = op.drive("bench", timeout=600)
        converge_s = time.perf_counter() - t0
        cpu1 = sum(cpu_seconds(g.proc.pid) for g in gateways if g.proc is not None)
        rec_after = len(rec.messages)
        after = sys_counters.read()
        assert out.tally.healthy == n, out.tally
        # the fleet idle: gateways polling their devices, nothing to install (after one poll
        # interval: the last reports of the rollout are not idle traffic)
        time.sleep(6)
        cpu_idle0 = sum(cpu_seconds(g.proc.pid) for g in gateways if g.proc is not None)
        rec_idle = len(rec.messages)
        t_idle = time.perf_counter()
        time.sleep(IDLE_S)
        idle_cpu = sum(cpu_seconds(g.proc.pid) for g in gateways
                       if g.proc is not None) - cpu_idle0
        idle_s = time.perf_counter() - t_idle
        delta = {k: after[k] - before[k] for k in SYS}
        window = rec.messages[rec_before:rec_after]
        idle_msgs = len(rec.messages) - rec_idle
        return Row(n, converge_s, direct_s, converge_s / direct_s, len(window) / n,
                   sum(len(m) for _, m in window) / n, delta["messages/received"] / n,
                   delta["bytes/received"] / n, delta["bytes/sent"] / n,
                   (cpu1 - cpu0) / n, 100 * idle_cpu / idle_s,
                   idle_msgs / n / (idle_s / 60))
    finally:
        for g in gateways:
            g.stop()
        for o in (op, rec):
            if o is not None:
                o.close()
        if sys_counters is not None:
            sys_counters.link.close()
        for d in devices:
            d.stop()
        broker.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,100,200")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    build_device("release")
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix=f"bench-fleet-{n}-") as tmp:
            rows.append(measure(n, Path(tmp)))
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    print(f"{'devices':>7} {'converge s':>10} {'direct s':>8} {'ratio':>5} "
          f"{'pub/dev':>7} {'payload B/dev':>13} {'pkts in/dev':>11} {'B in/dev':>8} "
          f"{'B out/dev':>9} {'gw CPU s/dev':>12} {'idle gw CPU %':>13} "
          f"{'idle pub/dev/min':>16}")
    for r in rows:
        print(f"{r.devices:>7} {r.converge_s:>10.1f} {r.direct_s:>8.1f} {r.ratio:>5.2f} "
              f"{r.publishes_per_device:>7.1f} {r.payload_per_device:>13.0f} "
              f"{r.packets_in_per_device:>11.1f} {r.bytes_in_per_device:>8.0f} "
              f"{r.bytes_out_per_device:>9.0f} {r.gateway_cpu_s_per_device:>12.3f} "
              f"{r.idle_gateway_cpu_pct:>13.1f} {r.idle_msgs_per_device_min:>16.2f}")


if __name__ == "__main__":
    main()
