"""`wasmote fleet init`: everything a fleet's broker and clients need, in one folder.

    OUT/ca.crt, ca.key            the fleet's CA (keep ca.key offline: it vouches for the broker)
    OUT/fleet.key, fleet.pub      the fleet key: signs deployments; gateways trust fleet.pub
    OUT/broker/                   mosquitto.conf, passwd, acl, server.crt, server.key, data/
    OUT/credentials/NAME.toml     one per account (mode 0600): broker URL, user, password, CA,
                                  the fleet key's public half

Run it again with more accounts or hosts: existing keys, the CA and passwords are kept,
the broker's certificate, password file and ACL are written anew.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from wasmote.atomic_file import write_atomic
from wasmote.fleet.broker_config import Account, BrokerFiles, acl, mosquitto_conf
from wasmote.fleet.credentials import BrokerAddress, Credentials
from wasmote.fleet.errors import FleetError
from wasmote.fleet.passwords import new_password, password_line
from wasmote.fleet.tls import load_ca, make_ca, make_server_cert
from wasmote.fleet.topics import check_name
from wasmote.package.keys import generate_private_key, save_private_key, save_public_key


@dataclass(frozen=True)
class FleetSetup:
    folder: Path
    fleet: str
    broker: BrokerFiles
    accounts: tuple[Account, ...]

    def credentials(self, user: str) -> Path:
        return self.folder / "credentials" / f"{user}.toml"

    @property
    def fleet_key(self) -> Path:
        return self.folder / "fleet.key"

    @property
    def fleet_pub(self) -> Path:
        return self.folder / "fleet.pub"

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"


def init_fleet(out: Path, fleet: str, *, gateways: list[str], operators: list[str],
               apps: list[str] | None = None, hosts: list[str] | None = None,
               port: int = 8883, bind: str = "", run_as: str | None = None) -> FleetSetup:
    check_name("fleet", fleet)
    hosts = hosts or ["localhost", "127.0.0.1"]
    accounts = [Account(u, "gateway") for u in gateways] + \
        [Account(u, "operator") for u in operators] + [Account(u, "app") for u in apps or []]
    users = [a.user for a in accounts]
    if len(set(users)) != len(users):
        raise FleetError("an account name is given twice")
    out = out.resolve()
    broker_dir = out / "broker"
    for d in (out, broker_dir, broker_dir / "data", out / "credentials"):
        d.mkdir(parents=True, exist_ok=True)
    os.chmod(out / "credentials", 0o700)
    files = BrokerFiles(broker_dir, out / "ca.crt", broker_dir / "server.crt",
                        broker_dir / "server.key")
    # the fleet CA, kept across runs
    ca_key, ca_cert = out / "ca.key", out / "ca.crt"
    if ca_key.exists() and ca_cert.exists():
        ca = load_ca(ca_key.read_bytes(), ca_cert.read_bytes())
    else:
        ca = make_ca(fleet)
        write_atomic(ca_key, ca.key_pem(), 0o600)
        write_atomic(ca_cert, ca.cert_pem(), 0o644)
    server = make_server_cert(ca, hosts)
    write_atomic(files.key, server.key_pem(), 0o600)
    write_atomic(files.cert, server.cert_pem(), 0o644)
    setup = FleetSetup(out, fleet, files, tuple(accounts))
    if not setup.fleet_key.exists():
        key = generate_private_key()
        save_private_key(key, setup.fleet_key)
        save_public_key(key, setup.fleet_pub)
    # accounts: an existing account keeps its password
    address = BrokerAddress(hosts[0], port, True)
    lines = []
    for a in accounts:
        path = setup.credentials(a.user)
        password = Credentials.load(path).password if path.exists() else new_password()
        Credentials(address, fleet, a.user, password, ca_cert, setup.fleet_pub).save(path)
        lines.append(password_line(a.user, password))
    write_atomic(files.passwd, ("\n".join(lines) + "\n").encode(), 0o600)
    write_atomic(files.acl, acl(fleet, accounts).encode(), 0o600)
    write_atomic(files.conf, mosquitto_conf(files, port, bind, True,
                                            run_as or getpass.getuser()).encode(), 0o644)
    return setup
