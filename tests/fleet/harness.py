"""Test and benchmark harness of the fleet (not product code): a private Mosquitto on a
free loopback port with the configuration `wasmote fleet init` generates, gateways as
processes (`wasmote gateway`) that can be killed, and posix devices on fixed ports (so a
device that went away comes back at the same URL)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.sim_client import past_banner
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport, Transport
from wasmote.fleet.setup import FleetSetup, init_fleet
from wasmote.package.keys import public_key_bytes
from wasmote.sim import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
# the CLI of this environment (the .venv's entry point)
WASMOTE = str(Path(sys.executable).parent / "wasmote")


def mosquitto_missing() -> str | None:
    """Why the fleet tests cannot run here (the bootstrap installs Mosquitto), or None."""
    if not Path(MOSQUITTO).exists():
        return "mosquitto is not installed (scripts/bootstrap.sh installs it)"
    return None


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Broker:
    setup: FleetSetup
    port: int
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @classmethod
    def create(cls, folder: Path, fleet: str, gateways: list[str],
               apps: list[str] | None = None) -> Broker:
        port = free_port()
        setup = init_fleet(folder, fleet, gateways=gateways, operators=["operator"],
                           apps=apps or [], hosts=["127.0.0.1", "localhost"], port=port,
                           bind="127.0.0.1")
        return cls(setup, port, log=folder / "mosquitto.log")

    def start(self, timeout: float = 30.0) -> Broker:
        assert self.log is not None
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.setup.broker.conf)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its retained messages (persistence) and exits."""
        _terminate(self.proc)
        self.proc = None

    def credentials(self, user: str) -> Path:
        return self.setup.credentials(user)


@dataclass
class GatewayProcess:
    """`wasmote gateway` as its own process (kill -9 is a crash)."""

    name: str
    args: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> GatewayProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([WASMOTE, "gateway", *self.args],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env)
        return self

    def kill(self) -> None:
        _kill(self.proc)
        self.proc = None

    def stop(self) -> None:
        _terminate(self.proc)
        self.proc = None


@dataclass
class QemuBoard:
    """The product firmware under QEMU, its UART on a fixed TCP port (QEMU listens again
    after each client leaves, so a provisioning session and then a gateway can connect)."""

    board: str
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self) -> QemuBoard:
        from tests.protocol.test_protocol_qemu import qemu_elf
        from wasmote.boards import load_board
        from wasmote.sim import qemu_command

        self.port = self.port or free_port()
        self.proc = subprocess.Popen(qemu_command(load_board(self.board), qemu_elf(self.board),
                                                  self.port),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        _kill(self.proc)
        self.proc = None


def _terminate(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 30 s; reaped either way."""
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill(proc)


def _kill(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL and reap: a crash, a pulled plug."""
    if proc is not None:
        proc.kill()
        proc.wait()


def provision(url: str, keys: dict[str, Ed25519PrivateKey], gateway: str,
              booting: bool = False) -> str:
    """A fleet device's keys: the package key signs packages, the admin key changes keys,
    its gateway's key manages it. Returns the device id. `booting`: this connection starts
    the board (a QemuBoard's first client), so the first request waits for its `ready`
    line (tests.sim_client.past_banner says why)."""
    line: Transport = SerialTransport(url, open_timeout=30)
    c = DeviceClient(past_banner(line, url) if booting else line, timeout=5)
    try:
        c.provision([(public_key_bytes(keys["package"]), p.ROLE_PACKAGE),
                     (public_key_bytes(keys["admin"]), p.ROLE_ADMIN),
                     (public_key_bytes(keys[gateway]), p.ROLE_OPERATE)])
        return c.info().device_id.hex()
    finally:
        c.transport.close()


class Recorder:
    """Every message of a fleet the operator account can read, kept in arrival order."""

    def __init__(self, creds_file: Path) -> None:
        from wasmote.fleet.credentials import Credentials
        from wasmote.fleet.mqtt import MqttLink, client_id

        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Condition()
        creds = Credentials.load(creds_file)
        self.link = MqttLink(creds, client_id("recorder"), on_message=self._got)
        self.link.connect()
        self.link.subscribe_checked(f"wasmote/{creds.fleet}/#")

    def _got(self, topic: str, payload: bytes, _retained: bool) -> None:
        with self._lock:
            self.messages.append((topic, payload))
            self._lock.notify_all()

    def snapshot(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, cond: Callable[[list[tuple[str, bytes]]], bool], timeout: float,
                 what: str) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not cond(self.messages):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting for {what}"
                self._lock.wait(min(left, 0.5))
            return list(self.messages)

    def close(self) -> None:
        self.link.close()
