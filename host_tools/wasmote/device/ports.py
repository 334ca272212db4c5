"""What `--port` may say, parsed by us with errors that say what to write instead, and
which ports exist (USB serial devices, running sims).

Accepted: a serial device path (`/dev/ttyUSB0`), `socket://HOST:PORT` (a sim, the posix
device), `rfc2217://HOST:PORT`, a bare TCP port number (`4321` = `socket://127.0.0.1:4321`,
what `wasmote sim` prints), or `auto`: the only USB serial device.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from wasmote.device.errors import LinkError
from wasmote.errors import UsageError
from wasmote.terminal_text import escape_controls

LOCAL = "127.0.0.1"
_URL = re.compile(r"^(?P<scheme>[a-z0-9]+)://(?P<rest>.*)$")
_HOSTPORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[^/?]*))?"
                       r"(?P<tail>[/?].*)?$")


@dataclass(frozen=True)
class PortInfo:
    """One place a device can be reached."""

    url: str
    kind: str         # "usb", "serial", "sim"
    description: str


def _tcp_port(text: str, whole: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise UsageError(f"--port {whole}: '{text}' is not a TCP port (1-65535)")
    return int(text)


def parse_port(text: str) -> str:
    """`text` as a URL or path pyserial opens; UsageError with the fix if it cannot be."""
    port = text.strip()
    if not port:
        raise UsageError("--port is empty: give a serial device, socket://HOST:PORT, a TCP "
                         "port number, or 'auto'")
    if port == "auto":
        return resolve_auto()
    if port.isdigit():
        return f"socket://{LOCAL}:{_tcp_port(port, port)}"
    m = _URL.match(port)
    if m:
        scheme, rest = m.group("scheme"), m.group("rest")
        if scheme not in ("socket", "rfc2217"):
            raise UsageError(f"--port {port}: unknown scheme '{scheme}://' (use a device "
                             "path, socket://HOST:PORT or rfc2217://HOST:PORT)")
        hp = _HOSTPORT.match(rest)
        if not hp or hp.group("tail"):
            raise UsageError(f"--port {port}: expected {scheme}://HOST:PORT")
        if hp.group("port") is None:
            raise UsageError(f"--port {port}: no TCP port; write {scheme}://"
                             f"{hp.group('host')}:PORT (or just PORT for {LOCAL})")
        _tcp_port(hp.group("port"), port)
        return port
    if "://" in port or (":" in port.split("/")[-1] and not os.path.exists(port)):
        raise UsageError(f"--port {port}: not a device path or URL (socket://HOST:PORT)")
    if not os.path.exists(port):
        listed = ", ".join(p.url for p in list_ports()) or "none"
        raise UsageError(f"--port {port}: no such serial device (available: {listed}; "
                         "`wasmote ports` lists them)")
    return port


def serial_ports() -> list[PortInfo]:
    import serial.tools.list_ports

    out = []
    for p in sorted(serial.tools.list_ports.comports(), key=lambda p: str(p.device)):
        vid, pid = getattr(p, "vid", None), getattr(p, "pid", None)
        # the USB product string: the device's own words, which may hold escape sequences
        text = getattr(p, "description", None)
        desc = escape_controls(str(text)) if text and text != "n/a" else ""
        if vid is not None:
            desc = f"{desc} [{vid:04x}:{pid or 0:04x}]".strip()
        out.append(PortInfo(str(p.device), "usb" if vid is not None else "serial", desc))
    return out


def sim_ports() -> list[PortInfo]:
    from wasmote import sim

    return [PortInfo(s.url, "sim", f"{s.board} in QEMU (pid {s.pid})")
            for s in sim.list_sims()]


def list_ports() -> list[PortInfo]:
    """USB serial devices, other serial ports, running sims."""
    return [*serial_ports(), *sim_ports()]


def resolve_auto() -> str:
    """The only USB serial device; a precise error (with the sims as a hint) otherwise."""
    usb = [p for p in serial_ports() if p.kind == "usb"]
    if len(usb) == 1:
        return usb[0].url
    if usb:
        raise LinkError(f"--port auto found {len(usb)} USB serial devices "
                        f"({', '.join(p.url for p in usb)}): pass --port (-p) with one")
    sims = sim_ports()
    hint = (f"; running sims: {', '.join(f'{s.url} ({s.description})' for s in sims)} "
            f"(e.g. -p {sims[0].url.rsplit(':', 1)[1]})" if sims
            else "; for a sim, start one (wasmote sim --background) and pass the port it "
                 "prints")
    raise LinkError(f"--port auto found no USB serial device{hint}. `wasmote ports` lists "
                    "what there is")
