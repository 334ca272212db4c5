"""Mosquitto's configuration for a fleet: the listener (TLS), no anonymous access, the
password file, persistence of retained messages, and the ACL that confines each account
(docs/fleet.md, "Broker, accounts and ACL").

Accounts and what the ACL lets them do in fleet F:

| role | read | write |
| --- | --- | --- |
| gateway G | deploy/+, pkg/+, gw/G/# | gw/G/# |
| operator | wasmote/F/# | wasmote/F/# |
| app | gw/+/dev/+/out/# | gw/+/dev/+/in/# |

A gateway therefore reads and writes only its own devices' topics, and can neither see
another gateway's devices nor publish a deployment (which it could not sign anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wasmote.fleet.topics import FleetTopics, check_name

Role = Literal["gateway", "operator", "app"]
ROLES: tuple[Role, ...] = ("gateway", "operator", "app")


@dataclass(frozen=True)
class Account:
    user: str
    role: Role

    def __post_init__(self) -> None:
        check_name("account", self.user)


def acl(fleet: str, accounts: list[Account]) -> str:
    t = FleetTopics(fleet)
    out = [f"# Mosquitto ACL of fleet {fleet}, written by `wasmote fleet init`.",
           "# Anything not listed here is denied.", ""]
    for a in accounts:
        out.append(f"# {a.role} {a.user}")
        out.append(f"user {a.user}")
        if a.role == "gateway":
            out += [f"topic read {t.all_deployments}", f"topic read {t.package('+')}",
                    f"topic readwrite {t.gateway(a.user)}/#"]
        elif a.role == "operator":
            out.append(f"topic readwrite {t.base}/#")
        else:
            out += [f"topic read {t.base}/gw/+/dev/+/out/#",
                    f"topic write {t.base}/gw/+/dev/+/in/#"]
        out.append("")
    return "\n".join(out)


@dataclass(frozen=True)
class BrokerFiles:
    """Where the broker's files are (absolute paths: Mosquitto resolves relative ones
    against its working directory)."""

    folder: Path
    ca: Path
    cert: Path
    key: Path

    @property
    def conf(self) -> Path:
        return self.folder / "mosquitto.conf"

    @property
    def passwd(self) -> Path:
        return self.folder / "passwd"

    @property
    def acl(self) -> Path:
        return self.folder / "acl"

    @property
    def data(self) -> Path:
        return self.folder / "data"


def mosquitto_conf(files: BrokerFiles, port: int, bind: str = "", tls: bool = True,
                   run_as: str | None = None) -> str:
    """`bind` "" listens on every interface. `run_as`: Mosquitto started as root drops to
    the user `mosquitto`, who may not read these files; name their owner instead."""
    lines = ["# Mosquitto configuration of a wasmote fleet, written by `wasmote fleet init`.",
             "per_listener_settings false", "allow_anonymous false",
             f"password_file {files.passwd}", f"acl_file {files.acl}",
             # retained deployments, packages and reports survive a restart of the broker
             "persistence true", f"persistence_location {files.data}/",
             "autosave_interval 30",
             # a package (at most 16 MiB) is the largest message
             "max_packet_size 17825792",
             "log_dest stderr", "log_type error", "log_type warning", "log_type notice",
             "connection_messages true"]
    if run_as is not None:
        lines.append(f"user {run_as}")
    lines += ["", f"listener {port}{' ' + bind if bind else ''}"]
    if tls:
        lines += [f"cafile {files.ca}", f"certfile {files.cert}", f"keyfile {files.key}",
                  "tls_version tlsv1.2"]
    return "\n".join(lines) + "\n"
