"""Request/response over a Transport: retries, timeouts, events, and the windowed push."""

from __future__ import annotations

import hashlib
import random
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.device import protocol as p
from wasmote.device.errors import DeviceRefused, DeviceTimeout, ProtocolError
from wasmote.device.transport import Transport
from wasmote.package.keys import public_key_bytes

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class PushResult:
    name: str
    size: int
    resumed_from: int
    seconds: float
    retransmits: int
    note: str = ""  # the device's note on an accepted module (e.g. AOT code ignored, why)

    @property
    def throughput(self) -> float:
        """Payload bytes per second over this push (the part actually sent)."""
        return (self.size - self.resumed_from) / self.seconds if self.seconds > 0 else 0.0


class DeviceClient:
    """One host end of the protocol. Not thread-safe: one request at a time."""

    def __init__(self, transport: Transport, *, timeout: float = 2.0, retries: int = 3,
                 window: int = 8, chunk: int = p.MAX_CHUNK, slow_timeout: float = 10.0,
                 key: Ed25519PrivateKey | None = None) -> None:
        self.transport = transport
        # Signs a token for each management request on a provisioned device (operator or
        # admin key); None: requests go without one (enough on an unprovisioned device).
        self.key = key
        self._provisioned: bool | None = None  # learnt from NONCE
        self.timeout = timeout
        # PUSH_BEGIN erases flash and PUSH_COMMIT hashes the image: allow them longer.
        self.slow_timeout = max(timeout, slow_timeout)
        self.retries = retries
        self.window = window
        self.chunk = chunk
        self.events: deque[p.Event] = deque(maxlen=1000)
        self.on_event: Callable[[p.Event], None] | None = None
        # The device's non-protocol output, as passed on by the relay (CONSOLE frames).
        self.on_console: Callable[[bytes], None] | None = None
        # Bridged publications (BRIDGE_OUT events) go here, not to `events`: their data is
        # binary, not a log line.
        self.on_bridge: Callable[[p.BridgeMessage], None] | None = None
        self._decoder = p.FrameDecoder()
        # A random start keeps a new session's seq apart from the device's last answered one.
        self._seq = random.randrange(0x10000)

    # ---- frames -----------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def send(self, msg: p.Msg, seq: int, body: bytes = b"", flags: int = 0) -> None:
        self.transport.write(p.Frame(p.FrameType.REQUEST, msg, seq, 0, body, flags).encode())

    def receive(self, timeout: float) -> list[p.Frame]:
        """Responses that arrived within `timeout` (events are queued, not returned)."""
        out: list[p.Frame] = []
        for f in self._decoder.feed(self.transport.read(timeout)):
            if f.type == p.FrameType.EVENT and f.msg == p.Msg.EV_BRIDGE_OUT:
                try:
                    bridged = p.BridgeMessage.from_frame(f)
                except ProtocolError:
                    continue
                if self.on_bridge is not None:
                    self.on_bridge(bridged)
            elif f.type == p.FrameType.EVENT:
                try:
                    ev = p.Event.from_frame(f)
                except ProtocolError:
                    continue
                self.events.append(ev)
                if self.on_event is not None:
                    self.on_event(ev)
            elif f.type == p.FrameType.RESPONSE:
                out.append(f)
            elif f.type == p.CONSOLE_FRAME and self.on_console is not None:
                self.on_console(f.body)
        return out

    def request(self, msg: p.Msg, body: bytes = b"", *, timeout: float | None = None,
                retries: int | None = None) -> p.Frame:
        """Send and wait for the matching response, retransmitting (same seq: the device
        answers a repeat without redoing it). Error statuses raise DeviceRefused.

        A management request (not in OPEN_MSGS) to a provisioned device carries a token:
        with a key, the client asks NONCE (which also says whether the device is
        provisioned) and signs device id, nonce, message and body. Each request has its own
        nonce, so this works through a relay that shares the line among processes."""
        if msg in p.OPEN_MSGS or self.key is None:
            return self._request(msg, body, 0, timeout, retries)
        if self._provisioned is False:  # learnt earlier; someone may have provisioned since
            try:
                return self._request(msg, body, 0, timeout, retries)
            except DeviceRefused as e:
                if e.status != p.Status.AUTH:
                    raise
        n = self.nonce()
        if not n.auth_required:
            return self._request(msg, body, 0, timeout, retries)
        pub = public_key_bytes(self.key)
        sig = self.key.sign(p.auth_message(n.device_id, n.nonce, msg, body))
        return self._request(msg, body + pub + n.nonce + sig, p.FRAME_FLAG_AUTH, timeout,
                             retries)

    def _request(self, msg: p.Msg, body: bytes, flags: int, timeout: float | None,
                 retries: int | None) -> p.Frame:
        per_try = self.timeout if timeout is None else timeout
        tries = 1 + (self.retries if retries is None else retries)
        seq = self._next_seq()
        for _ in range(tries):
            self.send(msg, seq, body, flags)
            deadline = time.monotonic() + per_try
            while (left := deadline - time.monotonic()) > 0:
                for f in self.receive(min(left, 0.2)):
                    if f.seq == seq and f.msg == msg:
                        return self._checked(msg, f)
        raise DeviceTimeout(f"no answer to {msg.name} from {self.transport.description} "
                            f"after {tries} tries of {per_try:g} s")

    @staticmethod
    def _checked(msg: p.Msg, f: p.Frame) -> p.Frame:
        if f.status != p.Status.OK:
            raise DeviceRefused(msg.name, f.status, p.status_name(f.status),
                                f.body.decode("utf-8", "replace"))
        return f

    def wait_event(self, timeout: float) -> p.Event | None:
        deadline = time.monotonic() + timeout
        while not self.events:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.receive(min(left, 0.2))
        return self.events.popleft()

    # ---- messages ---------------------------------------------------------------------
    def ping(self) -> None:
        """Check the device answers, within the normal timeout and retries: RUN and the push
        wait much longer for their answers, so a silent device is found here first."""
        self.request(p.Msg.INFO)

    def info(self) -> p.DeviceInfo:
        return p.DeviceInfo.decode(self.request(p.Msg.INFO).body)

    def nonce(self) -> p.Nonce:
        """A fresh single-use nonce (open to anyone); also tells whether the device wants
        tokens."""
        n = p.Nonce.decode(self.request(p.Msg.NONCE).body)
        self._provisioned = n.auth_required
        return n

    def modules(self, detail: bool = False) -> list[p.ModuleEntry]:
        """Every installed module; with `detail`, also limits and memory (if the firmware
        has them: ModuleEntry.detail says). A page per LIST, at most LIST_MAX modules, so a
        device cannot make the host loop or allocate beyond the protocol's own bound."""
        entries: list[p.ModuleEntry] = []
        first_total: int | None = None
        while True:
            total, page = p.decode_list(
                self.request(p.Msg.LIST, p.list_body(len(entries), detail)).body)
            if total > p.LIST_MAX:
                raise ProtocolError(f"LIST: the device claims {total} modules, more than the "
                                    f"protocol allows ({p.LIST_MAX})")
            if first_total is None:
                first_total = total
            elif total != first_total:  # a module came or went meanwhile
                raise ProtocolError("LIST: the module list changed while it was read; "
                                    "run the command again")
            entries += page
            if len(entries) > total:
                raise ProtocolError(f"LIST: the device sent {len(entries)} modules after "
                                    f"saying it has {total}")
            if len(entries) == total or not page:
                return entries

    def remove(self, name: str) -> None:
        self.request(p.Msg.REMOVE, p.str8(name))

    def run(self, name: str, export: str, args: list[p.WireValue],
            timeout: float = 30.0) -> list[p.WireValue]:
        # A repeat of the same seq is answered from the device's cache, never run twice.
        f = self.request(p.Msg.RUN, p.run_body(name, export, args), timeout=timeout,
                         retries=1)
        return p.decode_values(f.body)

    def start(self, name: str) -> None:
        self.request(p.Msg.START, p.str8(name))

    def stop(self, name: str) -> None:
        self.request(p.Msg.STOP, p.str8(name))

    def provision(self, keys: Sequence[bytes | tuple[bytes, int]], *, clear_pins: bool = False,
                  keep_keys: bool = False) -> None:
        """Replace the device's trusted public keys ([] unprovisions), each with its roles
        (a bare key gets every role). A provisioned device needs the client's key to hold
        the admin role. Version pins stay unless `clear_pins`; `keep_keys` (with no keys)
        changes only the pins."""
        flags = (p.PROV_CLEAR_PINS if clear_pins else 0) | (p.PROV_KEEP_KEYS if keep_keys else 0)
        entries = [k if isinstance(k, tuple) else (k, p.ROLES_ALL) for k in keys]
        self.request(p.Msg.PROVISION, p.provision_body(flags, entries))
        self._provisioned = None

    def subscribe(self, seconds: int) -> None:
        """Receive module events for `seconds` (0 ends it); needed on a provisioned device,
        harmless elsewhere."""
        self.request(p.Msg.SUBSCRIBE, struct.pack("<H", seconds))

    def bridge_in(self, topic: str, data: bytes) -> int:
        """Hand a message from the network to the modules whose bridge:in grant covers
        `topic` (and that subscribe to it); returns how many took it."""
        return p.Reader(self.request(p.Msg.BRIDGE_IN, p.bridge_in_body(topic, data)).body,
                        "BRIDGE_IN").u8()

    def log_lines(self) -> list[p.LogLine]:
        return p.decode_logs(self.request(p.Msg.LOGS).body)

    def logs(self) -> str:
        """The LOGS ring as text, one `module: text` line per entry, safe to print."""
        return "".join(line.render() + "\n" for line in self.log_lines())

    def reset(self) -> None:
        self.request(p.Msg.RESET)

    # ---- push -------------------------------------------------------------------------
    def push(self, name: str, data: bytes, *, autostart: bool | None = None,
             progress: ProgressFn | None = None) -> PushResult:
        """Install `data` as module `name`: a sliding window of chunks with cumulative acks
        (go-back-N); resumes where the device says an identical earlier push stopped.
        `autostart` None: a package's manifest decides (a bare module does not autostart)."""
        t0 = time.perf_counter()
        if autostart is None:
            autostart = manifest_autostart(data)
        sha = hashlib.sha256(data).digest()
        flags = p.MODFLAG_AUTOSTART if autostart else 0
        begin = self.request(p.Msg.PUSH_BEGIN,
                             p.push_begin_body(name, len(data), sha, flags),
                             timeout=self.slow_timeout)
        r = p.Reader(begin.body, "PUSH_BEGIN")
        held, max_chunk, dev_window = r.u32(), r.u16(), r.u16()
        if held > len(data):
            raise ProtocolError(f"device holds {held} bytes of a {len(data)}-byte module")
        chunk = max(1, min(self.chunk, max_chunk))
        window = max(1, min(self.window, dev_window or self.window))
        retransmits = self._send_window(data, held, chunk, window, progress)
        commit = self.request(p.Msg.PUSH_COMMIT, timeout=self.slow_timeout)
        return PushResult(name, len(data), held, time.perf_counter() - t0, retransmits,
                          commit.body.decode("utf-8", "replace"))

    def _rto(self, window_bytes: int) -> float:
        """How long to wait for progress before going back: the base timeout plus the time
        the in-flight window needs on a line of known speed."""
        baud = self.transport.baud
        return min(self.timeout, 0.5) + (window_bytes * 12 / baud if baud else 0.0)

    def _send_window(self, data: bytes, acked: int, chunk: int, window: int,
                     progress: ProgressFn | None) -> int:
        size = len(data)
        start = acked
        next_off = sent_hi = acked
        epoch = 0                       # bumped at each go-back
        sent_epoch: dict[int, int] = {}  # seq -> epoch it was sent in
        retransmits = 0
        rto = base_rto = self._rto(window * chunk)
        ack_gap = 0.0                   # smoothed seconds between acked chunks
        clean = False                   # no go-back since the last progress
        # Chunks in flight: the device's window, halved at each timeout without progress and
        # back to the full window at the next advancing ack. A stalled receiver is not
        # buried under copies of every window it must still read through after the push
        # gave up (a TCP line to QEMU buffers them all); a gap the device reports is a
        # damaged chunk, not congestion: no change.
        cwnd = window
        last_progress = timer = time.monotonic()
        stall_limit = self.timeout * (1 + self.retries)
        if progress is not None:
            progress(acked, size)
        while acked < size:
            while next_off < size and next_off - acked < cwnd * chunk:
                seq = self._next_seq()
                n = min(chunk, size - next_off)
                self.send(p.Msg.PUSH_CHUNK, seq,
                           struct.pack("<I", next_off) + data[next_off:next_off + n])
                sent_epoch[seq] = epoch
                next_off += n
                sent_hi = max(sent_hi, next_off)
            go_back = False
            for f in self.receive(0.02 if next_off < size else min(rto, 0.2)):
                if f.msg != p.Msg.PUSH_CHUNK or f.seq not in sent_epoch:
                    continue
                self._checked(p.Msg.PUSH_CHUNK, f)
                ack = p.Reader(f.body, "PUSH_CHUNK").u32()
                # The device writes whole chunks only, so its ack is the end of one sent. A
                # lying device that acked a byte at a time kept a push going for an hour
                # (each ack counts as progress), and sent the host's chunks misaligned.
                if ack > sent_hi or (ack != size and (ack - start) % chunk != 0):
                    raise ProtocolError(f"PUSH_CHUNK: the device acknowledged offset {ack}, "
                                        f"which ends no chunk sent (chunks of {chunk} bytes "
                                        f"from {start}, {sent_hi} sent)")
                if ack > acked:
                    now = time.monotonic()
                    # The line's speed may be unknown (socket://): learn how often acks come
                    # and wait a few of those before going back, so a slow reader is not
                    # flooded with copies of a window it is still working through. Only
                    # undisturbed progress counts: a gap that spans a loss and its go-back
                    # would teach the timer to wait for losses.
                    if clean:
                        gap = (now - last_progress) / max(1, -(-(ack - acked) // chunk))
                        ack_gap = gap if ack_gap == 0.0 else 0.8 * ack_gap + 0.2 * gap
                        rto = max(base_rto, min(4 * window * ack_gap, stall_limit / 2))
                    clean = True
                    cwnd = window
                    acked = min(ack, size)
                    last_progress = timer = now
                    if progress is not None:
                        progress(acked, size)
                elif ack < next_off and sent_epoch[f.seq] == epoch:
                    # A chunk sent after the last go-back was refused as out of order: an
                    # earlier one was lost or damaged. Resend from the device's offset.
                    go_back = True
            now = time.monotonic()
            if acked >= size:
                break
            if now - last_progress > stall_limit:
                raise DeviceTimeout(f"push of {size} bytes stalled at offset {acked}: no "
                                    f"progress from {self.transport.description} for "
                                    f"{stall_limit:g} s; push again to resume")
            if go_back or now - timer > rto:
                if not go_back:
                    cwnd = max(1, cwnd // 2)
                clean = False
                retransmits += 1
                epoch += 1
                next_off = acked
                timer = now
        return retransmits


def manifest_autostart(data: bytes) -> bool:
    """A package's own `autostart`; False for anything else (or a package that does not
    parse: the device will say what is wrong with it)."""
    from wasmote.package.container import is_package, parse_package
    from wasmote.package.errors import PackageError

    if not is_package(data):
        return False
    try:
        return parse_package(data).manifest.autostart
    except PackageError:
        return False
