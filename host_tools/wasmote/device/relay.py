"""One process owns a device's line; every wasmote command of that port talks through it.

A serial line (and QEMU's TCP UART) has room for one program. The relay opens the line
once and serves any number of clients on a unix socket, so `wasmote logs -f` can stay
open while `push`, `run`, `ls` come and go. It is started on demand by the first command
of a port (`open_line`), shared by every later one, and exits when it has had no client
for `WASMOTE_RELAY_IDLE` seconds (default 2) or when the line closes.

What it does to the byte stream, and nothing more:
- Requests from a client are whole frames; each gets a relay-wide sequence number on the
  line and its response goes back to that client with the client's own number. Two
  clients can therefore never be answered from each other's retransmit cache.
- Requests are serialized: while one client has a request unanswered (a push's window,
  a RUN), other clients' requests wait, and while one client's push is open (PUSH_BEGIN
  to PUSH_COMMIT) another's PUSH_BEGIN waits (it would abandon the first). The device's
  one-entry retransmit cache and the push window then work as on a line of their own. A
  client's retransmission (same seq and msg) goes out under the same line seq, or is
  answered from the relay's copy of the response if that already came.
- Events go to every client. Output that is not a frame (boot banner, prints) goes to every
  client as CONSOLE frames (type 0x10, local to the relay, never sent to a device), which
  the device client ignores and `wasmote monitor` shows.
- Request bodies are never read: a management command signed over a device nonce passes
  through unchanged and stays valid.

Socket, lock and log live in `WASMOTE_RUNTIME_DIR` (default `$XDG_RUNTIME_DIR/wasmote`, else
`/tmp/wasmote-UID`), named after the port. The relay holds an flock on its lock file for
its whole life: a relay that crashed leaves a socket nobody answers and a free lock, and the
next command replaces it. `WASMOTE_RELAY=0` makes commands open the line themselves.

A relay greets every client it accepts (GREETING, before any other byte), and a command
uses a relay only once it has been greeted. A killed relay's socket can still take a
connection for a few milliseconds while its last threads exit (the kernel queues it, then
resets it): without a greeting that connection is "no relay", not a broken line, and the
command starts a replacement, which waits for the dying one's lock.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import queue
import re
import selectors
import socket
import stat
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from wasmote.device import protocol as p
from wasmote.device.errors import LinkError, ProtocolError
from wasmote.device.holders import clients_of, holders_of_path
from wasmote.device.transport import SerialTransport, Transport

CONSOLE = p.CONSOLE_FRAME
_LONG = {p.Msg.RUN: 40.0, p.Msg.PUSH_BEGIN: 15.0, p.Msg.PUSH_COMMIT: 15.0}
_SHORT = 4.0          # seconds a request holds the line without an answer
_CLIENT_BUFFER = 4 << 20  # a client that reads nothing for this long is dropped
_CACHE = 32           # responses remembered per client for its retransmissions
# The relay's first bytes to every client it accepts: proof that a live relay took the
# connection. Read whole by the client before anything else, so no frame decoder sees it.
GREETING = b"wasmote-relay 1\n"
# An upper bound on a live relay's accept: its loop never blocks, so only a stopped or
# wedged relay (or a very loaded machine: then the command just tries again) misses it.
_GREETING_WAIT = 2.0


def runtime_dir() -> Path:
    env = os.environ.get("WASMOTE_RUNTIME_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return Path(xdg) / "wasmote" if xdg else Path(f"/tmp/wasmote-{os.getuid()}")


def secure_runtime_dir() -> Path:
    """runtime_dir(), made if missing (0700), and refused (LinkError) unless it is a real
    directory of this user that nobody else may write. /tmp/wasmote-UID is a name anyone
    can take first: another user's directory there could hold a socket that greets like a
    relay (every command's requests and answers through it) or a lock file linked to one of
    yours, which the relay truncates, and a log it appends to."""
    rdir = runtime_dir()
    try:
        rdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = os.lstat(rdir)
    except OSError as e:
        raise LinkError(f"cannot make the relay's folder {rdir}: {e.strerror}") from e
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else \
            f"owned by uid {st.st_uid}, mode {st.st_mode & 0o777:o}"
        raise LinkError(f"{rdir} is not a folder of yours that only you may write ({what}): "
                        "the relay will not use it; remove it or set WASMOTE_RUNTIME_DIR")
    return rdir


def relay_name(url: str, baud: int) -> str:
    """A file name for the port: `socket-127.0.0.1-4321`, `tty-dev-ttyUSB0-115200`."""
    if "://" in url:
        text = url.replace("://", "-")
    else:
        text = f"tty{os.path.realpath(url)}-{baud}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80]


def relay_pids(rdir: Path | None = None) -> list[int]:
    """Relays alive in `rdir` (from their lock files)."""
    out = []
    for lock in (rdir or runtime_dir()).glob("*.lock"):
        try:
            pid = int(lock.read_text().split()[0])
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if b"wasmote.device.relay" in cmd:
            out.append(pid)
    return out


def idle_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get("WASMOTE_RELAY_IDLE", "2")))
    except ValueError:
        return 2.0


# ---- the client side ------------------------------------------------------------------


class RelayTransport:
    """A Transport to the device through its relay (a unix socket)."""

    def __init__(self, sock: socket.socket, url: str, baud: int | None) -> None:
        self._s = sock
        self.description = url
        self.baud = baud

    def write(self, data: bytes) -> None:
        try:
            self._s.sendall(data)
        except OSError as e:
            raise LinkError(f"write to {self.description} failed: the relay that owns the "
                            f"line went away ({e})") from e

    def read(self, timeout: float) -> bytes:
        self._s.settimeout(max(0.0, timeout) or 1e-6)
        try:
            data = self._s.recv(65536)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as e:
            raise LinkError(f"read from {self.description} failed: {e}") from e
        if not data:
            raise LinkError(f"{self.description}: the line closed (device gone, sim "
                            "stopped, or cable unplugged)")
        return data

    def close(self) -> None:
        self._s.close()


def _connect_greeted(path: Path, wait: float = _GREETING_WAIT) -> socket.socket | None:
    """A connection to the relay at `path` that has greeted us; None if no live relay
    took it within `wait` seconds: no socket, refused, or reset or closed before the
    greeting (a crashed relay whose threads are still exiting), or silent."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + wait
    got = b""
    try:
        s.settimeout(wait)  # a full backlog blocks connect()
        s.connect(str(path))
        while len(got) < len(GREETING):
            s.settimeout(max(1e-3, deadline - time.monotonic()))
            more = s.recv(len(GREETING) - len(got))
            if not more:
                break
            got += more
    except OSError:  # not there, refused, reset, timed out
        pass
    if got != GREETING:
        s.close()
        return None
    s.settimeout(None)
    return s


def open_line(url: str, baud: int = 115200, timeout: float = 10.0) -> Transport:
    """The line to the device at `url`: through its relay (started if none runs), or
    directly when WASMOTE_RELAY=0."""
    line_baud = None if "://" in url else baud
    if os.environ.get("WASMOTE_RELAY") == "0":
        return SerialTransport(url, baud)
    rdir = secure_runtime_dir()
    name = relay_name(url, baud)
    sock_path = rdir / f"{name}.sock"
    deadline = time.monotonic() + timeout
    while True:
        s = _connect_greeted(sock_path)
        if s is not None:
            return RelayTransport(s, url, line_baud)
        if time.monotonic() > deadline:
            raise LinkError(f"no relay for {url} answers on {sock_path} within {timeout:g} "
                            f"s (started one, or one holds its lock); its log: "
                            f"{sock_path.with_suffix('.log')}")
        # No relay greeted us: none runs, or it crashed (perhaps a moment ago: its lock
        # may still be held while it exits). A new one waits for that lock, bounded.
        verdict = _spawn(url, baud, rdir)
        if verdict not in ("ready", "busy"):
            raise LinkError(verdict)
        if verdict == "busy":  # another command's relay is binding its socket right now
            time.sleep(0.05)


def _spawn(url: str, baud: int, rdir: Path) -> str:
    """Starts a relay; "ready", "busy" (another relay owns the port) or the error line."""
    proc = subprocess.Popen([sys.executable, "-m", "wasmote.device.relay", url,
                             "--baud", str(baud)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    assert proc.stdout is not None
    first = proc.stdout.readline().decode("utf-8", "replace").strip()
    proc.stdout.close()
    if first.startswith("ready"):
        return "ready"
    proc.wait()
    if first == "busy":
        return "busy"
    return first.removeprefix("error: ") or f"the relay for {url} exited ({proc.returncode})"


# ---- the relay --------------------------------------------------------------------------


@dataclass
class _Client:
    sock: socket.socket
    decoder: p.FrameDecoder = field(default_factory=p.FrameDecoder)
    pending: list[p.Frame] = field(default_factory=list)
    out: bytearray = field(default_factory=bytearray)
    answered: OrderedDict[tuple[int, int], bytes] = field(default_factory=OrderedDict)
    line_seq: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass
class _Outstanding:
    client: _Client
    seq: int
    msg: int
    deadline: float


class Splitter:
    """The device's byte stream as frames and console text. Text and a frame that were not
    separated by a 0x00 are split after the text's last newline."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[p.Frame | bytes]:
        self._buf += data
        out: list[p.Frame | bytes] = []
        while (end := self._buf.find(0)) >= 0:
            chunk = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if chunk:
                out += _split_chunk(chunk)
        if len(self._buf) > 4 * p.MAX_PAYLOAD:  # no frame is this long: it is text
            out.append(bytes(self._buf))
            self._buf.clear()
        return out

    def flush_text(self) -> bytes:
        """On a quiet line: complete text lines still waiting for a 0x00 that will not come."""
        cut = self._buf.rfind(b"\n") + 1
        text = bytes(self._buf[:cut])
        del self._buf[:cut]
        return text


def _frame(chunk: bytes) -> p.Frame | None:
    try:
        return p.parse_payload(p.cobs_decode(chunk))
    except ProtocolError:
        return None


def _split_chunk(chunk: bytes) -> list[p.Frame | bytes]:
    f = _frame(chunk)
    if f is not None:
        return [f]
    at = chunk.rfind(b"\n")
    while at >= 0:
        f = _frame(chunk[at + 1:])
        if f is not None:
            return [chunk[:at + 1], f]
        at = chunk.rfind(b"\n", 0, at)
    return [chunk]


class Relay:
    def __init__(self, line: Transport, listener: socket.socket, idle: float,
                 sock_path: Path | None = None) -> None:
        self.line = line
        self.listener = listener
        self.sock_path = sock_path
        self.idle = idle
        self.sel = selectors.DefaultSelector()
        self.clients: list[_Client] = []
        self.outstanding: dict[int, _Outstanding] = {}
        self.seq = int.from_bytes(os.urandom(2), "little")
        self.splitter = Splitter()
        self.inbox: queue.Queue[bytes | Exception] = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self.closed: str | None = None
        self.pusher: _Client | None = None  # whose push is open on the device
        self.push_deadline = 0.0

    # the device side runs in a thread: pyserial's read is all a line offers
    def _read_line(self) -> None:
        quiet = False
        while True:
            try:
                data = self.line.read(0.05)
            except Exception as e:  # any end of the line ends the relay
                self.inbox.put(e)
                self._wake_w.send(b"x")
                return
            if data or not quiet:
                self.inbox.put(data)
                self._wake_w.send(b"x")
            quiet = not data

    def serve(self) -> None:
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        self.sel.register(self._wake_r, selectors.EVENT_READ, "line")
        threading.Thread(target=self._read_line, daemon=True).start()
        empty_since = time.monotonic()
        while self.closed is None:
            now = time.monotonic()
            waits = [o.deadline - now for o in self.outstanding.values()]
            if not self.clients:
                waits.append(empty_since + self.idle - now)
            if self.pusher is not None:
                waits.append(self.push_deadline - now)
            for key, mask in self.sel.select(max(0.0, min(waits, default=1.0))):
                if key.data == "accept":
                    self._accept()
                elif key.data == "line":
                    self._from_line()
                else:
                    client: _Client = key.data
                    if mask & selectors.EVENT_READ:
                        self._from_client(client)
                    if mask & selectors.EVENT_WRITE and client in self.clients:
                        self._flush(client)
            now = time.monotonic()
            for seq in [s for s, o in self.outstanding.items() if o.deadline <= now]:
                del self.outstanding[seq]
            if self.pusher is not None and self.push_deadline <= now:
                self.pusher = None  # it went quiet mid-push: the device will abandon it too
            self._dispatch()
            if self.clients:
                empty_since = now
            elif now - empty_since >= self.idle and self._retire():
                break
        for c in list(self.clients):
            self._drop(c)
        self.line.close()

    def _retire(self) -> bool:
        """Idle: stop taking clients without resetting one that is connecting right now.
        Once the socket's name is gone no new connection can come; one already waiting in
        the backlog is accepted and served, and the relay ends when it leaves. Whoever comes
        meanwhile starts a new relay, which waits for our lock."""
        if self.sock_path is not None:
            self.sock_path.unlink(missing_ok=True)
            self.sock_path = None
            self.idle = 0.0
            self._accept_all()
        return not self.clients

    def _accept_all(self) -> None:
        while True:
            before = len(self.clients)
            self._accept()
            if len(self.clients) == before:
                return

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        c = _Client(sock)
        self.clients.append(c)
        self.sel.register(sock, selectors.EVENT_READ, c)
        self._send(c, GREETING)  # first: nothing is broadcast to c before this

    def _drop(self, c: _Client) -> None:
        if c in self.clients:
            self.clients.remove(c)
            self.sel.unregister(c.sock)
            c.sock.close()
        for seq in [s for s, o in self.outstanding.items() if o.client is c]:
            del self.outstanding[seq]
        if self.pusher is c:
            self.pusher = None

    def _send(self, c: _Client, data: bytes) -> None:
        c.out += data
        if len(c.out) > _CLIENT_BUFFER:
            self._drop(c)  # it stopped reading; the others must not wait for it
            return
        self._flush(c)

    def _flush(self, c: _Client) -> None:
        try:
            n = c.sock.send(c.out)
            del c.out[:n]
        except BlockingIOError:
            pass
        except OSError:
            self._drop(c)
            return
        self.sel.modify(c.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if c.out else 0),
                        c)

    def _from_client(self, c: _Client) -> None:
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(c)
            return
        for f in c.decoder.feed(data):
            if f.type == p.FrameType.REQUEST:
                c.pending.append(f)

    def _from_line(self) -> None:
        self._wake_r.recv(4096)
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Exception):
                self.closed = str(item)
                return
            parts: list[p.Frame | bytes] = (self.splitter.feed(item) if item
                                             else [self.splitter.flush_text()])
            for part in parts:
                if isinstance(part, bytes):
                    # in frames of a chunk's size (a client's decoder holds no longer one),
                    # all of it: text between two 0x00 may be up to 4 frames long
                    for at in range(0, len(part), p.MAX_CHUNK):
                        self._broadcast(p.Frame(CONSOLE, 0, 0, 0, part[at:at + p.MAX_CHUNK]))
                elif part.type == p.FrameType.RESPONSE:
                    self._answer(part)
                elif part.type == p.FrameType.EVENT:
                    self._broadcast(part)

    def _broadcast(self, f: p.Frame) -> None:
        data = f.encode()
        for c in list(self.clients):
            self._send(c, data)

    def _answer(self, f: p.Frame) -> None:
        o = self.outstanding.get(f.seq)
        if o is None or o.msg != f.msg:
            return  # the answer to a request whose client gave up or left
        del self.outstanding[f.seq]
        if o.client is self.pusher and (f.msg == p.Msg.PUSH_COMMIT or (
                f.msg == p.Msg.PUSH_BEGIN and f.status != p.Status.OK)):
            self.pusher = None
        data = p.Frame(f.type, f.msg, o.seq, f.status, f.body, f.flags, f.version).encode()
        if f.msg != p.Msg.PUSH_CHUNK:  # chunks are never retransmitted under one seq
            o.client.answered[(o.seq, o.msg)] = data
            while len(o.client.answered) > _CACHE:
                o.client.answered.popitem(last=False)
        o.client.line_seq.pop((o.seq, o.msg), None)
        self._send(o.client, data)

    def _owner(self) -> _Client | None:
        return next((o.client for o in self.outstanding.values()), None)

    def _dispatch(self) -> None:
        progress = True
        while progress:
            progress = False
            for c in list(self.clients):
                while c.pending and c in self.clients:
                    f = c.pending[0]
                    key = (f.seq, int(f.msg))
                    if key in c.answered:  # a retransmission whose answer came: resend it
                        c.pending.pop(0)
                        self._send(c, c.answered[key])
                        progress = True
                        continue
                    owner = self._owner()
                    if owner is not None and owner is not c:
                        break
                    if f.msg == p.Msg.PUSH_BEGIN and self.pusher not in (None, c):
                        break
                    c.pending.pop(0)
                    self._forward(c, f)
                    progress = True

    def _forward(self, c: _Client, f: p.Frame) -> None:
        key = (f.seq, int(f.msg))
        seq = c.line_seq.get(key)
        if seq is None or seq not in self.outstanding:
            self.seq = (self.seq + 1) & 0xFFFF
            while self.seq in self.outstanding:
                self.seq = (self.seq + 1) & 0xFFFF
            seq = self.seq
            if f.msg != p.Msg.PUSH_CHUNK:
                c.line_seq[key] = seq
                if len(c.line_seq) > _CACHE:
                    c.line_seq.pop(next(iter(c.line_seq)))
        hold = _LONG.get(p.Msg(f.msg), _SHORT) if f.msg in p.Msg._value2member_map_ else _SHORT
        if f.msg == p.Msg.PUSH_BEGIN:
            self.pusher = c
        if self.pusher is c:
            self.push_deadline = time.monotonic() + _LONG[p.Msg.PUSH_BEGIN]
        self.outstanding[seq] = _Outstanding(c, f.seq, int(f.msg), time.monotonic() + hold)
        try:
            self.line.write(p.Frame(f.type, f.msg, seq, f.status, f.body, f.flags,
                                    f.version).encode())
        except LinkError as e:
            self.closed = str(e)


def _busy_elsewhere(url: str) -> str | None:
    """A precise refusal when a program other than a relay already holds the line."""
    if "://" not in url:
        if not os.path.exists(url):
            return None  # opening it says "no such file" with the port's name
        who = holders_of_path(url)
        if who:
            return (f"{url} is already open in {', '.join(map(str, who))}; a serial line "
                    "serves one program: close it (wasmote commands share the line "
                    "through one relay by themselves)")
        return None
    m = re.fullmatch(r"socket://(127\.0\.0\.1|localhost):(\d+)", url)
    if m:
        who = clients_of(int(m.group(2)))
        if who:
            return (f"{url} is already connected to {', '.join(map(str, who))}; QEMU's "
                    "UART serves one client: close it (wasmote commands share the line "
                    "through one relay by themselves)")
    return None


def run_relay(url: str, baud: int, report: IO[str]) -> int:
    """The relay process: lock, check, open, listen, say `ready`, serve."""
    try:
        rdir = secure_runtime_dir()
    except LinkError as e:
        report.write(f"error: {e}\n")
        return 1
    name = relay_name(url, baud)
    lock = open(rdir / f"{name}.lock", "a+")
    sock_path = rdir / f"{name}.sock"
    deadline = time.monotonic() + 15.0
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            pass
        # Another relay owns the port: one that serves (it greets: our starter connects
        # there), or one that is retiring (its socket is gone) or dying (it cannot greet):
        # we take over when it has ended.
        probe = _connect_greeted(sock_path)
        if probe is not None:
            probe.close()
            report.write("busy\n")
            return 0
        if time.monotonic() > deadline:
            lock.seek(0)
            owner = lock.read().strip() or "?"
            report.write(f"error: the relay for {url} (pid {owner}) holds {lock.name} but "
                         "does not answer; end that process\n")
            return 1
        time.sleep(0.02)
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")  # who owns the port (tests, diagnostics)
    lock.flush()
    why = _busy_elsewhere(url)
    if why:
        report.write(f"error: {why}\n")
        return 1
    try:
        line: Transport = SerialTransport(url, baud)
    except LinkError as e:
        refused = "://" in url and "Connection refused" in str(e)
        report.write(f"error: nothing listens at {url} (no sim or device there; `wasmote "
                     "ports` lists them)\n" if refused else f"error: {e}\n")
        return 1
    sock_path.unlink(missing_ok=True)  # a crashed relay's: we hold the lock now
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    listener.listen(16)
    report.write(f"ready {os.getpid()}\n")
    report.flush()
    if report is sys.stdout:  # the starter stopped reading: anything later goes to the log
        os.dup2(2, 1)
    relay = Relay(line, listener, idle_seconds(), sock_path)
    try:
        relay.serve()
    finally:
        if relay.sock_path is not None:
            sock_path.unlink(missing_ok=True)
        listener.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wasmote.device.relay")
    ap.add_argument("url")
    ap.add_argument("--baud", type=int, default=115200)
    args = ap.parse_args(argv)
    try:
        rdir = secure_runtime_dir()
    except LinkError as e:
        print(f"error: {e}", flush=True)
        return 1
    log = open(rdir / f"{relay_name(args.url, args.baud)}.log", "a")
    report = sys.stdout
    # After the first line the starter stops listening: later output goes to the log.
    os.dup2(log.fileno(), 2)
    try:
        return run_relay(args.url, args.baud, report)
    finally:
        try:
            report.flush()
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
