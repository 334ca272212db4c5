"""How one client (a gateway, an operator, an application) reaches a fleet's broker: the
credentials file `wasmote fleet init` writes (TOML, mode 0600), or the same from options.

    broker = "mqtts://broker.example:8883"
    fleet = "plant"
    user = "gw-hall-1"
    password = "..."
    ca = "../ca.crt"       # the CA that signed the broker's certificate (relative: to this file)
    fleet_key = "../fleet.pub"  # the fleet key's public half: deployments signed by it count
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from wasmote.atomic_file import write_atomic
from wasmote.fleet.errors import FleetError
from wasmote.fleet.topics import check_name


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """mqtt://HOST[:PORT] (1883) or mqtts://HOST[:PORT] (8883)."""
        try:
            u = urlsplit(url)
            port = u.port
        except ValueError as e:
            raise FleetError(f"bad broker URL {url!r}: {e}") from None
        if u.scheme not in ("mqtt", "mqtts") or not u.hostname or u.path not in ("", "/"):
            raise FleetError(f"bad broker URL {url!r}: expected mqtt://HOST:PORT or "
                             f"mqtts://HOST:PORT")
        tls = u.scheme == "mqtts"
        return cls(u.hostname, port or (8883 if tls else 1883), tls)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"


@dataclass(frozen=True)
class Credentials:
    broker: BrokerAddress
    fleet: str
    user: str
    password: str
    ca: Path | None = None  # None: the system's CAs (mqtts), or no TLS (mqtt)
    fleet_key: Path | None = None  # the public key deployments must be signed with

    def __post_init__(self) -> None:
        check_name("fleet", self.fleet)
        check_name("user", self.user)

    def save(self, path: Path) -> None:
        lines = [f"broker = {json.dumps(str(self.broker))}", f"fleet = {json.dumps(self.fleet)}",
                 f"user = {json.dumps(self.user)}", f"password = {json.dumps(self.password)}"]
        for key, value in (("ca", self.ca), ("fleet_key", self.fleet_key)):
            if value is not None:
                rel = os.path.relpath(value.resolve(), path.parent.resolve())
                lines.append(f"{key} = {json.dumps(rel)}")
        write_atomic(path, ("\n".join(lines) + "\n").encode(), 0o600)

    @classmethod
    def load(cls, path: Path) -> Credentials:
        try:
            doc = tomllib.loads(path.read_text())
        except OSError as e:
            raise FleetError(f"{path}: cannot read: {e.strerror or e}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise FleetError(f"{path}: not a credentials file: {e}") from None
        missing = {"broker", "fleet", "user", "password"} - set(doc)
        unknown = set(doc) - {"broker", "fleet", "user", "password", "ca", "fleet_key"}
        if missing or unknown or not all(isinstance(v, str) for v in doc.values()):
            raise FleetError(f"{path}: expected the strings broker, fleet, user, password "
                             f"and optionally ca and fleet_key")

        def file(key: str) -> Path | None:
            return path.parent / doc[key] if key in doc else None  # absolute stays absolute

        return cls(BrokerAddress.parse(doc["broker"]), doc["fleet"], doc["user"],
                   doc["password"], file("ca"), file("fleet_key"))
