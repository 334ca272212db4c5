"""One process owns the line (device/relay.py), against the posix device (a real device
process over TCP): clients with clashing sequence numbers, a push beside a client asking
all the time, events to everyone, retransmissions, idle exit, a crashed relay replaced."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.harness.posix_device import PosixDevice
from tests.loop.conftest import wait_gone
from tests.protocol.helpers import image, sha
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.relay import Splitter, open_line, relay_name, relay_pids

WAT = Path(__file__).resolve().parents[1] / "protocol" / "wat"
# Replies are waited for, not timed: a generous upper bound so a loaded machine never
# turns a slow answer into a failure (what these tests check is order and ownership).
_REPLY_BOUND = 30.0


def _relay_logs(rdir: Path) -> str:
    """What the relays in `rdir` wrote to their logs: shown when an assertion fails."""
    return "\n".join(f"{log.name}: {log.read_text(errors='replace')}"
                     for log in sorted(rdir.glob("*.log")))


def _the_relay(rdir: Path) -> int:
    """The one relay alive in `rdir` (its logs shown if there is none or more)."""
    pids = relay_pids(rdir)
    assert len(pids) == 1, (pids, _relay_logs(rdir))
    return pids[0]


def _ticker() -> bytes:
    return subprocess.run(["wat2wasm", str(WAT / "ticker.wat"), "--output=-"],
                          capture_output=True, check=True).stdout


def test_relay_two_clients_same_seqs_push_beside_queries(device: PosixDevice,
                                                          relay_dir: Path) -> None:
    a = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    b = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    assert len(relay_pids(relay_dir)) == 1  # both through the one relay
    b._seq = a._seq  # the same numbers: only the relay keeps their answers apart
    big = image(100 * 1024, 7)
    errors: list[BaseException] = []

    def push() -> None:
        try:
            a.push("big", big)
        except BaseException as e:  # reported below
            errors.append(e)

    t = threading.Thread(target=push)
    t.start()
    infos = 0
    while t.is_alive():
        assert b.info().board == "posix"  # never a PUSH_CHUNK ack, never a timeout
        infos += 1
    t.join()
    assert not errors, errors
    assert infos > 0
    assert {m.name: m.sha256 for m in b.modules()}["big"] == sha(big)
    # events reach every client; RUN's own log lines included
    b.push("ticker", _ticker())
    assert a.run("ticker", "_start", []) == []
    for c in (a, b):
        got: list[str] = []
        while len(got) < 5:
            ev = c.wait_event(10.0)
            assert ev is not None, f"only {got}"
            if ev.kind == p.Msg.EV_LOG:
                got.append(ev.text)
        assert got == ["tick"] * 5
    a.transport.close()
    b.transport.close()


def test_relay_two_pushes_at_once_and_clashing_seqs(device: PosixDevice,
                                                    relay_dir: Path) -> None:
    a = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    b = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    one, two = image(60 * 1024, 1), image(50 * 1024, 2)
    errors: list[BaseException] = []

    def push(c: DeviceClient, name: str, data: bytes) -> None:
        try:
            c.push(name, data)
        except BaseException as e:  # reported below
            errors.append(e)

    # A second PUSH_BEGIN would abandon the first push on the device: the relay holds it.
    threads = [threading.Thread(target=push, args=(c, n, d))
               for c, n, d in ((a, "one", one), (b, "two", two))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert {m.name: m.sha256 for m in a.modules()} == {"one": sha(one), "two": sha(two)}
    # Same seq, same msg, different modules: without the relay's own numbers the device
    # would answer the second REMOVE from its cache of the first and remove nothing.
    b._seq = a._seq
    a.remove("one")
    b.remove("two")
    assert a.modules() == []
    a.transport.close()
    b.transport.close()


def test_relay_answers_a_retransmission_once(device: PosixDevice, relay_dir: Path) -> None:
    c = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    c.push("m", image(64, 1))
    # A REMOVE sent twice under one seq (its answer "lost"): done once, answered twice.
    frame = p.Frame(p.FrameType.REQUEST, p.Msg.REMOVE, 4242, 0, p.str8("m"))
    answers = []
    for _ in range(2):
        c.transport.write(frame.encode())
        while True:
            got = [f for f in c.receive(2.0) if f.seq == 4242]
            if got:
                answers += got
                break
    assert [f.status for f in answers] == [p.Status.OK, p.Status.OK]
    assert c.modules() == []
    c.transport.close()


def test_relay_gone_when_idle_and_a_crashed_one_replaced(device: PosixDevice,
                                                         relay_dir: Path) -> None:
    c = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    c.info()
    pid = _the_relay(relay_dir)
    c.transport.close()
    assert wait_gone(pid), "the relay outlived its last client"
    assert relay_pids(relay_dir) == []
    c = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    c.info()  # served: the relay that answered is the one our connection lives on
    pid = _the_relay(relay_dir)
    os.kill(pid, signal.SIGKILL)  # a crash: its socket file stays, nobody answers there
    c.transport.close()
    assert any(relay_dir.glob("*.sock"))
    # At once, while the killed relay may still be exiting (its socket then takes the
    # connection and resets it): the command waits for its lock and starts a new relay.
    # test_relay_dying_one_is_replaced_not_reported makes that window certain.
    c = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    assert c.info().board == "posix"
    new = _the_relay(relay_dir)
    assert new != pid
    c.transport.close()


class _DyingRelay:
    """What a crashed relay leaves for a moment while its last threads exit: its lock
    held, its socket listening, no greeting ever. `reset`: the connection that comes is
    queued and never accepted, then the socket closes (the kernel resets the queued
    connection) and the lock is freed, as a SIGKILLed relay's exit does. Otherwise: every
    connection is taken and closed unanswered while the lock stays held until a second
    one comes (the replacement relay's probe: the command moved on to start one)."""

    def __init__(self, rdir: Path, url: str, reset: bool) -> None:
        name = relay_name(url, 115200)
        self.lock = open(rdir / f"{name}.lock", "a+")
        fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.lock.write("1\n")  # no relay's pid: relay_pids and the fixture leave it alone
        self.lock.flush()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(rdir / f"{name}.sock"))
        self.listener.listen(4)
        self.came = 0
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._die_on_contact, args=(reset,))
        self.thread.start()

    def _die_on_contact(self, reset: bool) -> None:
        try:
            while self.came < (1 if reset else 2):
                ready, _, _ = select.select([self.listener], [], [], _REPLY_BOUND)
                assert ready, "nobody connected"
                if not reset:
                    self.listener.accept()[0].close()
                self.came += 1
        except BaseException as e:  # reported by the test
            self.errors.append(e)
        finally:
            self.listener.close()
            self.lock.close()


@pytest.mark.parametrize("reset", [True, False], ids=["reset-in-backlog", "closed-lock-held"])
def test_relay_dying_one_is_replaced_not_reported(device: PosixDevice, relay_dir: Path,
                                                  reset: bool) -> None:
    # The crashed relay's exit window, made certain: a command arriving then used to take
    # the dead socket's connection for a relay and fail with "connection reset".
    dying = _DyingRelay(relay_dir, device.url, reset)
    try:
        c = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
    finally:
        dying.thread.join(_REPLY_BOUND)
    assert not dying.errors, dying.errors
    assert dying.came == (1 if reset else 2)
    assert c.info().board == "posix", _relay_logs(relay_dir)
    _the_relay(relay_dir)  # a new one took over the lock
    c.transport.close()


def test_relay_retiring_never_drops_a_client_that_just_came(
        device: PosixDevice, relay_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Commands one after another, each arriving about when the relay gives up waiting:
    # one that connects while it retires is served, or served by the next relay.
    monkeypatch.setenv("WASMOTE_RELAY_IDLE", "0.1")
    for i in range(25):
        c = DeviceClient(open_line(device.url), timeout=_REPLY_BOUND)
        assert c.info().board == "posix", i
        c.transport.close()
        time.sleep(0.1 * (i % 3) / 2)  # 0, 0.05, 0.1 s: around the idle limit


def test_relay_splits_console_text_from_frames() -> None:
    frame = p.Frame(p.FrameType.EVENT, p.Msg.EV_LOG, 1, 0, p.str8("m") + b"hi")
    s = Splitter()
    # text glued to a frame (no 0x00 between), a lone frame, then a line on a quiet line
    out = s.feed(b"boot banner\n" + frame.encode() + frame.encode() + b"ready\n")
    assert out[0] == b"boot banner\n" and out[1] == frame and out[2] == frame
    assert s.flush_text() == b"ready\n"


@pytest.mark.parametrize("bad", ["127.0.0.1", "socket://127.0.0.1", "socket://h:notaport"])
def test_relay_never_started_for_a_bad_port(bad: str, relay_dir: Path) -> None:
    from wasmote.device.ports import parse_port
    from wasmote.errors import UsageError

    with pytest.raises(UsageError, match="--port"):
        parse_port(bad)
    assert relay_pids(relay_dir) == []



def test_relay_passes_all_of_a_long_console_text() -> None:
    """Text between two 0x00 (or 4 frames' worth without one) went to the clients cut to
    its first KiB: a 3 KiB panic dump lost two thirds. Now in 1 KiB CONSOLE frames, all
    of it."""
    import socket

    from wasmote.device.relay import Relay

    class NoLine:
        description = "none"
        baud: int | None = None

        def write(self, data: bytes) -> None:
            pass

        def read(self, timeout: float) -> bytes:
            return b""

        def close(self) -> None:
            pass

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    r = Relay(NoLine(), listener, idle=1.0)
    sent: list[p.Frame] = []
    r._broadcast = sent.append  # type: ignore[method-assign, assignment]
    text = bytes(range(1, 256)) * 12 + b"\n"  # 3061 bytes of text, no 0x00
    frame = p.Frame(p.FrameType.EVENT, p.Msg.EV_LOG, 1, 0, p.str8("m") + b"hi")
    r.inbox.put(text + b"\0" + frame.encode())
    r._wake_w.send(b"x")
    r._from_line()
    assert b"".join(f.body for f in sent if f.type == p.CONSOLE_FRAME) == text
    assert all(len(f.body) <= p.MAX_CHUNK for f in sent) and sent[-1] == frame
    listener.close()
