"""Talking to the spec driver (firmware/src/testing/spec_driver.h) over its line protocol.

`Transport` is anything that answers a command line with one answer line: the posix
driver process here, or a serial link to a device running the same driver.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wasmote.errors import WasmoteError
from wasmote.runtime.values import Value

_SAFE = set(range(0x21, 0x7F)) - {ord("%")}


def escape_name(name: str | bytes) -> str:
    """Percent-encode a name token: bytes outside 0x21..0x7e and '%' become %XX; the empty
    name is a lone '%'."""
    raw = name.encode() if isinstance(name, str) else name
    if not raw:
        return "%"
    return "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in raw)


def unescape_name(token: str) -> bytes:
    """The inverse of escape_name (also accepts %3A for ':', as `exports` sends it)."""
    if token == "%":
        return b""
    out = bytearray()
    i = 0
    while i < len(token):
        if token[i] == "%":
            out.append(int(token[i + 1:i + 3], 16))
            i += 3
        else:
            out += token[i].encode()
            i += 1
    return bytes(out)


@dataclass(frozen=True)
class Export:
    """One entry of the driver's `exports` answer."""

    kind: str  # func, table, memory, global
    name: bytes
    params: str = ""  # wm_host_func letters: i I f F r e
    results: str = ""

    @classmethod
    def parse(cls, token: str) -> Export:
        kind, name, *sig = token.split(":")
        return cls(kind, unescape_name(name), *(sig[:2] if kind == "func" else []))


def list_exports(t: Transport, module: str = "-") -> list[Export]:
    """Exports of a loaded module ('-' = the current one)."""
    answer = t.command(f"exports {module}")
    if not answer.startswith("ok"):
        raise DriverError(f"driver refused 'exports': {answer}")
    return [Export.parse(tok) for tok in answer.split()[1:]]


class DriverError(WasmoteError):
    """The driver process died, hung, or answered something unreadable."""


class Transport(Protocol):
    def command(self, line: str) -> str:
        """Send one command line, return the answer line (without the newline)."""
        ...

    def module_source(self, path: Path) -> str:
        """The SRC token that makes the driver load the module at `path`."""
        ...


@dataclass(frozen=True)
class Answer:
    """A parsed answer line."""

    kind: str  # ok | error | trap | exhausted | outoffuel
    values: tuple[Value, ...] = ()
    error_kind: str = ""  # for kind == error: malformed, invalid, unlinkable, ...
    offset: int = 0
    message: str = ""
    raw: str = ""

    @classmethod
    def parse(cls, line: str) -> Answer:
        head, _, rest = line.partition(" ")
        if head == "ok":
            try:
                vals = tuple(Value.from_wire(t) for t in rest.split()) if rest else ()
            except WasmoteError:
                # `mem` answers plain numbers; keep them only in raw.
                vals = ()
            return cls("ok", vals, raw=line)
        if head in ("trap", "exhausted"):
            return cls(head, message=rest, raw=line)
        if head == "outoffuel":
            return cls(head, message="out of fuel", raw=line)
        if head == "error":
            kind, _, tail = rest.partition(" ")
            off, _, msg = tail.partition(" ")
            try:
                offset = int(off, 16)
            except ValueError:
                offset, msg = 0, tail
            return cls("error", error_kind=kind, offset=offset, message=msg, raw=line)
        raise DriverError(f"unreadable answer from driver: {line!r}")


def inline_hex_source(path: Path) -> str:
    """SRC token for drivers that take modules inline (devices): the bytes as hex."""
    return Path(path).read_bytes().hex()


class LineStream(Protocol):
    """What a serial port (pyserial) offers: bytes out, one line in."""

    def write(self, data: bytes, /) -> int | None: ...

    def readline(self) -> bytes: ...


class StreamTransport:
    """The driver over a byte stream, e.g. a device's UART through pyserial; modules are
    sent inline as hex (wm_sd_hex_module_bytes on the device side). Lines the device prints
    that are not answers (e.g. a boot banner) must be drained by the caller first."""

    def __init__(self, stream: LineStream) -> None:
        self.stream = stream

    def module_source(self, path: Path) -> str:
        return inline_hex_source(path)

    def command(self, line: str) -> str:
        self.stream.write(line.encode() + b"\n")
        raw = self.stream.readline()
        if not raw.endswith(b"\n"):
            raise DriverError(f"no answer from the device to: {line[:120]}")
        return raw.decode(errors="replace").rstrip("\r\n")


class DriverProcess:
    """The posix driver as a child process: one command at a time, with a timeout."""

    def __init__(self, exe: Path, args: Sequence[str] = (), *, timeout: float | None = 60.0,
                 env: dict[str, str] | None = None, hex_modules: bool = False) -> None:
        self.exe = exe
        self.hex_modules = hex_modules
        if hex_modules:
            args = [*args, "--hex-modules"]
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [str(exe), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, env=env, bufsize=0)
        assert self._proc.stdout is not None and self._proc.stdin is not None
        self._out = self._proc.stdout
        self._in = self._proc.stdin
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._out, selectors.EVENT_READ)
        self._buf = b""
        self.dead = False

    def module_source(self, path: Path) -> str:
        if self.hex_modules:
            return inline_hex_source(path)
        return escape_name(str(Path(path).resolve()))

    def command(self, line: str) -> str:
        if self.dead:
            raise DriverError(f"driver is not running ({self.stderr_text().strip()})")
        try:
            self._in.write(line.encode() + b"\n")
        except BrokenPipeError:
            self._die()
            raise DriverError(f"driver died: {self.stderr_text().strip()}") from None
        while b"\n" not in self._buf:
            if not self._sel.select(self.timeout):
                self._die(kill=True)
                raise DriverError(f"driver gave no answer within {self.timeout or 0:.0f} s "
                                  f"to: {line[:200]}")
            chunk = os.read(self._out.fileno(), 65536)
            if not chunk:
                self._die()
                raise DriverError(f"driver died (exit {self._proc.returncode}) on: "
                                  f"{line[:200]}\n{self.stderr_text().strip()[:4000]}")
            self._buf += chunk
        answer, _, self._buf = self._buf.partition(b"\n")
        return answer.decode(errors="replace")

    def _die(self, kill: bool = False) -> None:
        self.dead = True
        if kill:
            self._proc.kill()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode

    def close(self) -> int:
        """Ends the process (EOF on stdin) and returns its exit status."""
        if not self.dead:
            try:
                self._in.close()
            except BrokenPipeError:
                pass
            self._die()
        self._sel.close()
        self._out.close()
        rc = self._proc.returncode
        return -1 if rc is None else rc

    def __enter__(self) -> DriverProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._stderr.close()
