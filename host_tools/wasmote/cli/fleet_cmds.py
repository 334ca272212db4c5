"""Fleet commands (docs/fleet.md): `wasmote gateway` and `wasmote fleet init | deploy |
rollback | remove | status | ls`. A thin layer over wasmote.fleet."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from wasmote.cli import main
from wasmote.errors import UsageError
from wasmote.fleet.credentials import BrokerAddress, Credentials
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.gateway import Gateway, GatewayConfig
from wasmote.fleet.operator import Operator
from wasmote.fleet.render import device_lines, rollout_lines, status_lines
from wasmote.fleet.rollout import Tally
from wasmote.fleet.setup import init_fleet
from wasmote.fleet.topics import is_device_id
from wasmote.package.keys import load_private_key, load_public_key
from wasmote.wasm.files import read_file_bytes

F = TypeVar("F", bound=Callable[..., Any])
_FILE = click.Path(dir_okay=False, path_type=Path)


def _broker_options(f: F) -> F:
    """Where the broker is and who we are: a credentials file from `fleet init`, each
    part of which an option can replace."""
    for opt in reversed([
        click.option("--credentials", "-c", "credentials", type=_FILE,
                     envvar="WASMOTE_FLEET_CREDENTIALS", show_envvar=True,
                     help="Credentials file written by `wasmote fleet init`."),
        click.option("--broker", help="mqtts://HOST:PORT (or mqtt://, without TLS)."),
        click.option("--fleet", help="The fleet's name."),
        click.option("--user", help="Broker account (a gateway's account is its name)."),
        click.option("--password-file", type=_FILE, help="File holding the password."),
        click.option("--ca", type=_FILE, help="CA certificate the broker's must chain to."),
        click.option("--fleet-key", "fleet_keys", type=_FILE, multiple=True,
                     help="Public key deployments must be signed with (repeat to trust "
                          "several; default: the credentials file's)."),
    ]):
        f = opt(f)
    return f


def _credentials(credentials: Path | None, broker: str | None, fleet: str | None,
                 user: str | None, password_file: Path | None,
                 ca: Path | None) -> Credentials:
    base = Credentials.load(credentials) if credentials is not None else None
    password = password_file.read_text().strip() if password_file is not None else None
    address = BrokerAddress.parse(broker) if broker else base.broker if base else None
    fleet = fleet or (base.fleet if base else None)
    user = user or (base.user if base else None)
    password = password or (base.password if base else None)
    if address is None or fleet is None or user is None or password is None:
        missing = [n for n, v in (("broker", address), ("fleet", fleet), ("user", user),
                                  ("password-file", password)) if v is None]
        raise UsageError(f"missing {', '.join('--' + m for m in missing)} (or --credentials "
                         f"FILE from `wasmote fleet init`)")
    return Credentials(address, fleet, user, password, ca or (base.ca if base else None),
                       base.fleet_key if base else None)


def _trusted(creds: Credentials, fleet_keys: tuple[Path, ...]) -> tuple[bytes, ...]:
    paths = list(fleet_keys) or ([creds.fleet_key] if creds.fleet_key is not None else [])
    if not paths:
        raise UsageError("no fleet key to check deployments with: --fleet-key fleet.pub")
    return tuple(load_public_key(p) for p in paths)


# ---- the gateway ----------------------------------------------------------------------

@main.command("gateway")
@_broker_options
@click.option("--device", "-d", "devices", multiple=True,
              help="A device: serial port or socket://HOST:PORT (repeat for more).")
@click.option("--scan", is_flag=True, help="Also serve every USB serial device that appears.")
@click.option("--group", "-g", "groups", multiple=True,
              help="A group this gateway's devices belong to (repeatable).")
@click.option("--key", "-k", "key", type=_FILE, envvar="WASMOTE_KEY", show_envvar=True,
              help="Private key with the operate role on the devices (provisioned devices "
                   "answer management only with a token signed by it).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where it keeps accepted deployments, packages and results "
                   "(default: ./gateway-NAME).")
@click.option("--baud", type=click.IntRange(min=300), default=115200, show_default=True)
@click.option("--poll", type=click.FloatRange(min=0.2), default=5.0, show_default=True,
              help="Seconds between looks at an idle device's modules.")
@click.option("--relay", is_flag=True,
              help="Reach each device through its relay, so that other wasmote commands "
                   "on this machine (logs -f, ls, run) share the line with the gateway "
                   "(a relay process, ~17 MiB, per device).")
def gateway_cmd(credentials: Path | None, broker: str | None, fleet: str | None,
                user: str | None, password_file: Path | None, ca: Path | None,
                fleet_keys: tuple[Path, ...], devices: tuple[str, ...], scan: bool,
                groups: tuple[str, ...], key: Path | None, state_dir: Path | None,
                baud: int, poll: float, relay: bool) -> None:
    """Connect devices to the fleet's broker and reconcile them toward its deployments."""
    creds = _credentials(credentials, broker, fleet, user, password_file, ca)
    if not devices and not scan:
        raise UsageError("no devices: --device URL (repeatable) or --scan")
    cfg = GatewayConfig(creds, _trusted(creds, fleet_keys),
                        state_dir or Path(f"gateway-{creds.user}"), tuple(devices), scan,
                        tuple(groups), load_private_key(key) if key is not None else None,
                        baud, poll, relay=relay)
    gw = Gateway(cfg, lambda line: click.echo(f"gateway {creds.user}: {line}", err=True))
    signal.signal(signal.SIGTERM, lambda *_: gw.stopping.set())
    click.echo(f"gateway {creds.user}: fleet {creds.fleet} at {creds.broker}, "
               f"{len(devices)} device(s){', scanning USB' if scan else ''}", err=True)
    try:
        gw.run()
    except KeyboardInterrupt:
        gw.close()


# ---- the operator ---------------------------------------------------------------------

@main.group("fleet")
def fleet_group() -> None:
    """Fleets over MQTT: broker set-up, deployments, rollouts, status (docs/fleet.md)."""


@fleet_group.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--fleet", required=True, help="The fleet's name.")
@click.option("--gateway", "gateways", multiple=True, help="A gateway account (repeatable).")
@click.option("--operator", "operators", multiple=True, default=("operator",),
              show_default=True, help="An operator account (repeatable).")
@click.option("--app", "apps", multiple=True,
              help="An application account: reads bridged messages out, writes them in.")
@click.option("--host", "hosts", multiple=True,
              help="Name or address clients reach the broker at (repeatable; the first is "
                   "in the credentials; default localhost and 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=8883, show_default=True)
def init_cmd(folder: Path, fleet: str, gateways: tuple[str, ...], operators: tuple[str, ...],
             apps: tuple[str, ...], hosts: tuple[str, ...], port: int) -> None:
    """Write a fleet's broker configuration, ACL, TLS certificates, accounts and keys."""
    s = init_fleet(folder, fleet, gateways=list(gateways), operators=list(operators),
                   apps=list(apps), hosts=list(hosts) or None, port=port)
    click.echo(f"fleet {fleet} in {s.folder}:")
    click.echo(f"  broker:      mosquitto -c {s.broker.conf}")
    for a in s.accounts:
        click.echo(f"  {a.role + ':':<12} {s.credentials(a.user)}")
    click.echo(f"  fleet key:   {s.fleet_key} (signs deployments; keep it with the operator)")


def _operator(credentials: Path | None, broker: str | None, fleet: str | None,
              user: str | None, password_file: Path | None, ca: Path | None,
              fleet_keys: tuple[Path, ...], key: Path | None) -> Operator:
    creds = _credentials(credentials, broker, fleet, user, password_file, ca)
    private = load_private_key(key) if key is not None else None
    trusted = _trusted(creds, fleet_keys) if fleet_keys or creds.fleet_key or private is None \
        else ()
    if private is not None:
        from wasmote.package.keys import public_key_bytes
        trusted = (*trusted, public_key_bytes(private))
    return Operator(creds, trusted=trusted, key=private)


def _key_option(f: F) -> F:
    return click.option("--key", "-k", "key", type=_FILE, required=True,
                        help="The fleet key (signs the deployment).")(f)


class _Progress:
    """A rollout's header once per message, then its bar: rewritten in place on a
    terminal, a line per change otherwise."""

    def __init__(self) -> None:
        self.seq = 0
        self.tty = sys.stdout.isatty()

    def __call__(self, dep: Deployment, t: Tally) -> None:
        head, bar, *_ = rollout_lines(dep, t)
        if dep.seq != self.seq:
            click.echo(("\n" if self.tty and self.seq else "") + head)
            self.seq = dep.seq
        click.echo(("\r" + bar) if self.tty else bar, nl=not self.tty)

    def end(self) -> None:
        if self.tty and self.seq:
            click.echo("")


def _drive(op: Operator, module: str, wait: bool) -> None:
    if not wait:
        return
    progress = _Progress()
    try:
        out = op.drive(module, progress=progress)
    finally:
        progress.end()
    for line in rollout_lines(out.deployment, out.tally)[2:]:
        click.echo(line)  # the failures, once
    if out.halted:
        click.echo(f"rollout halted: {out.tally.failed} device(s) failed, more than "
                   f"{out.deployment.max_failures} allowed (wasmote fleet rollback "
                   f"{module})", err=True)
        sys.exit(1)
    click.echo(f"rollout done: {out.tally.done}/{out.tally.targets} device(s)"
               + (f", {out.tally.offline} offline (they converge when back)"
                  if out.tally.offline else ""))


@fleet_group.command("deploy")
@click.argument("package", type=_FILE)
@_broker_options
@_key_option
@click.option("--group", "-g", default="", help="Only devices of this group.")
@click.option("--device", "-d", "devices", multiple=True, help="Only these device ids.")
@click.option("--percent", type=click.IntRange(1, 100), default=100, show_default=True,
              help="First stage: this share of the targets, then the rest.")
@click.option("--max-failures", type=click.IntRange(min=0), default=0, show_default=True,
              help="Halt the rollout when more devices than this fail.")
@click.option("--health", type=click.FloatRange(0, 3600), default=10.0, show_default=True,
              help="Seconds a module must run without a trap to count as healthy.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Follow the rollout to its end (promote, halt) or only publish it.")
def deploy_cmd(package: Path, credentials: Path | None, broker: str | None,
               fleet: str | None, user: str | None, password_file: Path | None,
               ca: Path | None, fleet_keys: tuple[Path, ...], key: Path, group: str,
               devices: tuple[str, ...], percent: int, max_failures: int, health: float,
               wait: bool) -> None:
    """Roll out a signed PACKAGE to the fleet (staged with --percent)."""
    bad = [d for d in devices if not is_device_id(d)]
    if bad:
        raise UsageError(f"bad device id {bad[0]!r}: 32 hex digits (wasmote fleet ls)")
    data = read_file_bytes(package)
    with _operator(credentials, broker, fleet, user, password_file, ca, fleet_keys,
                   key) as op:
        dep = op.deploy(data, group=group, devices=tuple(devices), percent=percent,
                        max_failures=max_failures, health_s=health)
        click.echo(f"deploying {dep.module} {dep.version}: rollout {dep.rollout}")
        _drive(op, dep.module, wait)


@fleet_group.command("rollback")
@click.argument("module")
@_broker_options
@_key_option
@click.option("--package-key", type=_FILE, required=True,
              help="Key with the package role: the previous content is signed again as a "
                   "new version (devices refuse older ones).")
@click.option("--max-failures", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--health", type=click.FloatRange(0, 3600), default=10.0, show_default=True)
@click.option("--wait/--no-wait", default=True, show_default=True)
def rollback_cmd(module: str, credentials: Path | None, broker: str | None,
                 fleet: str | None, user: str | None, password_file: Path | None,
                 ca: Path | None, fleet_keys: tuple[Path, ...], key: Path,
                 package_key: Path, max_failures: int, health: float, wait: bool) -> None:
    """Return MODULE to the version before its current deployment."""
    with _operator(credentials, broker, fleet, user, password_file, ca, fleet_keys,
                   key) as op:
        dep = op.rollback(module, load_private_key(package_key), max_failures=max_failures,
                          health_s=health)
        click.echo(f"rolling back {module}: {dep.previous_version} -> {dep.version} "
                   f"(the content of the version before), rollout {dep.rollout}")
        _drive(op, module, wait)


@fleet_group.command("remove")
@click.argument("module")
@_broker_options
@_key_option
@click.option("--group", "-g", default="")
@click.option("--device", "-d", "devices", multiple=True)
@click.option("--wait/--no-wait", default=True, show_default=True)
def remove_cmd(module: str, credentials: Path | None, broker: str | None, fleet: str | None,
               user: str | None, password_file: Path | None, ca: Path | None,
               fleet_keys: tuple[Path, ...], key: Path, group: str,
               devices: tuple[str, ...], wait: bool) -> None:
    """Remove MODULE from the fleet's devices."""
    with _operator(credentials, broker, fleet, user, password_file, ca, fleet_keys,
                   key) as op:
        op.remove(module, group=group, devices=tuple(devices))
        _drive(op, module, wait)


@fleet_group.command("status")
@click.argument("module", required=False)
@_broker_options
def status_cmd(module: str | None, credentials: Path | None, broker: str | None,
               fleet: str | None, user: str | None, password_file: Path | None,
               ca: Path | None, fleet_keys: tuple[Path, ...]) -> None:
    """Deployments and the progress of each rollout."""
    with _operator(credentials, broker, fleet, user, password_file, ca, fleet_keys,
                   None) as op:
        for line in status_lines(op.snapshot(), module):
            click.echo(line)


@fleet_group.command("ls")
@_broker_options
def ls_cmd(credentials: Path | None, broker: str | None, fleet: str | None, user: str | None,
           password_file: Path | None, ca: Path | None, fleet_keys: tuple[Path, ...]) -> None:
    """Devices, their gateways, firmware, modules and versions."""
    with _operator(credentials, broker, fleet, user, password_file, ca, fleet_keys,
                   None) as op:
        for line in device_lines(op.snapshot()):
            click.echo(line)
