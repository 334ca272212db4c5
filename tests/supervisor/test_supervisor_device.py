"""Many modules at once on the posix device: preemption, blocking, timing, CPU budgets,
crash policy, reset attribution and the boot-loop guard, provisioning and signatures, the
link rule and the per-module key-value store."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import wasmote.cli.device_cmds  # noqa: F401  (registers the commands)
from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import events_until, image, sha, until
from tests.supervisor.modules import i32, package, signed, wasm
from wasmote.cli import main
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.device.transport import SerialTransport
from wasmote.package.container import Package
from wasmote.package.keys import public_key_bytes, save_private_key, save_public_key
from wasmote.package.manifest import parse_manifest_toml

# The blinker sleeps to a deadline every 50 ms; how late it may wake while a busy loop
# runs beside it: one slice of the busy module (10000 fuel, about 2 ms on this ASan build)
# plus a START or push the device handles meanwhile. The device runs on its own clock
# (--clock cpu, tests/supervisor/conftest.py): a loaded host delays it as a whole but adds
# nothing to this, so every wake-up must be within the tolerance.
BLINK_TOLERANCE_MS = 20
# Only an upper bound for a device that stopped sending what a test waits for: the waits
# are for events, and on a loaded machine the device's seconds take longer.
EVENT_DEADLINE_S = 180.0


def collect(c: DeviceClient, seconds: float) -> list[p.Event]:
    """Every event within `seconds` of the host's time: only to show that something does
    not happen (a test waiting for something to happen uses collect_until)."""
    events: list[p.Event] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ev = c.wait_event(min(left, 0.2))
        if ev is not None:
            events.append(ev)
    return events


def collect_until(c: DeviceClient, enough: Callable[[list[p.Event]], bool],
                  timeout: float = EVENT_DEADLINE_S) -> list[p.Event]:
    """Every event until `enough` holds for the events so far."""
    events: list[p.Event] = []

    def done(ev: p.Event) -> bool:
        events.append(ev)
        return enough(events)

    events_until(c, done, timeout)
    return events


def logged(events: list[p.Event], module: str) -> list[str]:
    """The module's log lines among `events`."""
    return [e.text for e in events if e.module == module and e.kind == p.Msg.EV_LOG]


def state(c: DeviceClient, name: str) -> p.ModuleEntry:
    return next(m for m in c.modules() if m.name == name)


def test_three_modules_share_the_cpu(client: DeviceClient, device: PosixDevice) -> None:
    c = client
    for name in ("busy", "blinker", "publisher", "subscriber"):
        c.push(name, package(name))
    c.start("busy")  # first: it would starve everything if it were not preempted
    c.start("subscriber")
    c.start("blinker")
    # the subscriber blocked in receive before the first publication (as in the next test:
    # START only makes it ready, and a message published before `subscribe` ran is lost,
    # so "got 5" would never come)
    assert until(lambda: state(c, "subscriber").state, lambda s: s == "waiting") == "waiting"
    c.start("publisher")
    # three lateness reports of the blinker (60 wake-ups), the subscriber's fifth, and the
    # publisher's exit (as an event, then in LOGS)
    events = collect_until(c, lambda evs: len(logged(evs, "blinker")) >= 3
                           and "got 5" in logged(evs, "subscriber")
                           and "exit" in logged(evs, "publisher"))
    late = [int(text) for text in logged(events, "blinker")]
    assert max(late) <= BLINK_TOLERANCE_MS, late  # the worst wake-up of every 20 cycles
    got = [e.text for e in events if e.module == "subscriber"]
    assert got == ["got 1", "got 2", "got 3", "got 4", "got 5"]  # all 25 messages
    ends = [(e.kind, e.text) for e in events if e.module == "publisher"]
    assert ends == [(p.Msg.EV_EXIT, "exit"), (p.Msg.EV_LOG, "exit")]  # event, and in LOGS
    mods = {m.name: m for m in c.modules()}
    assert mods["busy"].state == "ready" and mods["busy"].fuel_per_s > 1_000_000
    assert mods["busy"].cpu_permille > 500  # it gets what the others leave
    assert mods["blinker"].state in ("sleeping", "ready")
    assert mods["blinker"].cpu_permille < 100
    assert mods["subscriber"].state == "waiting"  # blocked in receive: costs nothing
    assert mods["publisher"].state == "exited"
    assert mods["busy"].mem_bytes > 0 and mods["busy"].kind == "package"
    # the led toggled on time (the device's clock at each simulated pin write)
    assert device.gpio_log is not None
    stamps = [int(ln.split()[0]) for ln in device.gpio_log.read_text().splitlines()
              if ln.split()[1] == "led0"]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(gaps) >= 59, gaps
    assert all(abs(g - 50) <= BLINK_TOLERANCE_MS for g in gaps), gaps
    # RUN still works beside them, and STOP ends the busy loop
    c.push("kvuser", package("kvuser"))
    assert c.run("kvuser", "get", []) == [i32(-4)]  # WM_E_NOTFOUND
    c.stop("busy")
    assert state(c, "busy").state == "stopped"


def test_a_subscriber_waits_for_every_message(client: DeviceClient) -> None:
    """Issue 14 item 15: a module waiting forever in receive got WM_E_TIMEOUT at its
    next receive after each message (the retried call did not consume its wait), so the
    SDK's subscriber, which gives up on an error, exited after its first message."""
    c = client
    for name in ("strict_subscriber", "publisher"):
        c.push(name, package(name))
    c.start("strict_subscriber")
    # subscribed and blocked in receive before the first publication: a message published
    # before `subscribe` ran reaches nobody (pub/sub keeps nothing for later), and under
    # load the publisher's first slice could come first (CI on a loaded machine: got 24)
    assert until(lambda: state(c, "strict_subscriber").state,
                 lambda s: s == "waiting") == "waiting"
    c.start("publisher")  # 25 messages, one every 20 ms, then it exits
    events = events_until(c, lambda e: e.module == "strict_subscriber" and (
        e.text == "got 25" or e.kind == p.Msg.EV_EXIT))
    got = [e.text for e in events if e.module == "strict_subscriber"]
    assert got == [f"got {i:02d}" for i in range(1, 26)], got
    assert state(c, "strict_subscriber").state == "waiting"


def test_the_device_clock_leaves_out_time_off_the_cpu(client: DeviceClient,
                                                     device: PosixDevice) -> None:
    """What makes the timing above independent of the host's load (--clock cpu): the
    device held off the CPU for a second (SIGSTOP) sees no time pass, so the blinker beside
    a busy loop reports no lateness for it (on the host's clock: about 1000 ms)."""
    c = client
    for name in ("busy", "blinker"):
        c.push(name, package(name))
        c.start(name)
    events_until(c, lambda e: e.module == "blinker", EVENT_DEADLINE_S)  # 20 wake-ups in
    assert device.proc is not None
    os.kill(device.proc.pid, signal.SIGSTOP)
    time.sleep(1.0)  # the host keeps it off the CPU; nothing is asserted about this time
    os.kill(device.proc.pid, signal.SIGCONT)
    for _ in range(2):  # the report of the cycles that held the pause, and the next
        late = events_until(c, lambda e: e.module == "blinker", EVENT_DEADLINE_S)[-1]
        assert int(late.text) <= BLINK_TOLERANCE_MS, late


def test_cpu_budget_stops_a_hog_and_the_rest_go_on(client: DeviceClient) -> None:
    c = client
    c.push("hog", package("hog"))
    c.push("blinker", package("blinker"))
    c.start("blinker")
    c.start("hog")
    events = events_until(c, lambda e: e.module == "hog", EVENT_DEADLINE_S)
    assert events[-1].kind == p.Msg.EV_EXIT, events
    assert events[-1].text.startswith("cpu budget exceeded: ")
    assert events[-1].text.endswith("fuel within a second, limit 1000000")
    hog = state(c, "hog")
    assert hog.state == "stopped" and hog.last_trap.startswith("cpu budget exceeded")
    # its RAM went back to the pool: LIST now says what it would reserve (its manifest)
    assert hog.mem_bytes == 64 * 1024 + 8192
    # still blinking: its next lateness report (20 wake-ups on); of the hog only the same
    # line as its log line (as the protocol's EXIT events are)
    after = events_until(c, lambda e: e.module == "blinker" and e.kind == p.Msg.EV_LOG,
                         EVENT_DEADLINE_S)
    assert logged(after, "hog") == [events[-1].text]
    assert [e for e in after if e.module == "hog" and e.kind != p.Msg.EV_LOG] == [], after


def test_trap_restarts_with_backoff(client: DeviceClient) -> None:
    c = client
    c.push("crasher", package("crasher"))
    c.start("crasher")
    events = collect_until(c, lambda evs: len(_restarting(evs)) >= 3)
    traps = [e.text for e in events if e.kind == p.Msg.EV_TRAP]
    # the trap and where: function 1 (after the one import), at its unreachable
    assert len(traps) == 3 and len(set(traps)) == 1, traps
    assert traps[0].startswith("trap: unreachable [wasm 1@0x"), traps
    # exponential backoff: 100, 200, 400 ms ... (it never ran 10 s, so no reset to 100)
    assert _restarting(events) == ["restarting in 100 ms", "restarting in 200 ms",
                                   "restarting in 400 ms"]
    m = state(c, "crasher")
    assert m.traps >= 3 and m.restarts >= 2 and m.restarts in (m.traps, m.traps - 1)
    assert m.last_trap == traps[0].removeprefix("trap: ")
    c.stop("crasher")  # stopping a module that is backing off is allowed
    assert state(c, "crasher").state == "stopped"


def _restarting(events: list[p.Event]) -> list[str]:
    return [text for text in logged(events, "crasher") if text.startswith("restarting")]


def _kill_inside_slice(device: PosixDevice, module: str) -> None:
    """Kills the device inside one of `module`'s slices, like a watchdog reset there: stops
    the process, reads from its retained RAM (wm_sup_retained: magic, boots, the name of
    the module inside a slice) who runs, and kills it if that is `module`, else lets it go
    on and tries again."""
    assert device.proc is not None and device.retained is not None
    pid = device.proc.pid
    deadline = time.monotonic() + EVENT_DEADLINE_S
    while time.monotonic() < deadline:
        os.kill(pid, signal.SIGSTOP)
        while (st := _proc_state(pid)) != "T":  # the signal lands at the device's next turn
            assert st != "Z" and time.monotonic() < deadline, f"device state {st}"
            time.sleep(0.001)
        running = device.retained.read_bytes()[8:].split(b"\0")[0]
        if running == module.encode():
            device.kill()
            return
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError(f"{module} never ran a slice within {EVENT_DEADLINE_S} s")


def _proc_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_resets_inside_a_module_are_blamed_and_stop_a_boot_loop(device: PosixDevice) -> None:
    """Killing the device inside the busy module's slice looks like a watchdog reset there
    (retained RAM in a file): it is blamed on busy. After three, busy is no longer
    autostarted; the others still are."""
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    c.push("busy", package("busy", autostart=True))
    c.push("blinker", package("blinker", autostart=True))
    c.transport.close()
    for kill in range(1, 4):
        _kill_inside_slice(device, "busy")
        device.start()
        c = DeviceClient(SerialTransport(device.url), timeout=3.0)
        info = c.info()
        busy = state(c, "busy")
        if kill < 3:
            assert "disabled" not in info.notes and busy.state == "ready", (kill, busy)
            c.transport.close()
    assert "disabled: busy (reset the device 3 times)" in info.notes, info.notes
    assert state(c, "busy").state == "disabled"
    assert state(c, "blinker").state in ("sleeping", "ready")  # the others still start
    assert "the device reset while this module ran (3 of 3" in c.logs()
    c.start("busy")  # by hand: another chance, and the count is cleared
    assert state(c, "busy").state == "ready"
    c.stop("busy")
    c.transport.close()


def test_provisioned_device_runs_only_signed_packages(client: DeviceClient,
                                                       tmp_path: Path) -> None:
    c = client
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    pub_a, pub_b = public_key_bytes(a), public_key_bytes(b)
    c.push("early", package("kvuser", called="early"))  # unprovisioned: unsigned is fine
    c.provision([pub_a])
    info = c.info()
    assert (info.keys, info.key_counter) == (1, 1) and "unprovisioned" not in info.notes
    c.key = a  # management requests now carry tokens signed by a

    def refused(name: str, data: bytes) -> DeviceRefused:
        with pytest.raises(DeviceRefused) as e:
            c.push(name, data)
        return e.value

    e = refused("bare", wasm("busy"))
    assert e.status == p.Status.DENIED and "a bare .wasm module cannot be signed" in e.message
    e = refused("kvuser", package("kvuser"))
    assert e.status == p.Status.DENIED and "package is not signed" in e.message
    e = refused("kvuser", signed("kvuser", b))
    assert e.status == p.Status.DENIED and "which is not a trusted key" in e.message
    good = signed("kvuser", a, "2.0.0")
    c.push("kvuser", good)
    assert c.run("kvuser", "put", [i32(5)]) == [i32(0)]
    tampered = bytearray(good)
    tampered[len(tampered) // 2] ^= 1
    e = refused("kvuser", bytes(tampered))
    assert e.status == p.Status.INVALID_MODULE and "hash" in e.message
    e = refused("kvuser", signed("kvuser", a, "1.9.9"))  # a genuine but older package
    assert e.status == p.Status.DENIED
    assert "version 1.9.9 is older than the installed 2.0.0 (replay refused)" in e.message
    # a module installed before provisioning no longer runs: nothing vouches for it
    with pytest.raises(DeviceRefused) as run_e:
        c.run("early", "get", [])
    assert run_e.value.status == p.Status.DENIED
    # changing the keys needs a token by a current admin key (tests/supervisor/
    # test_supervisor_auth.py tries the attacks)
    c.key = None
    with pytest.raises(DeviceRefused) as pe:
        c.provision([pub_b])
    assert pe.value.status == p.Status.AUTH and "admin role" in pe.value.message
    c.key = b
    with pytest.raises(DeviceRefused) as pe:
        c.provision([pub_b])
    assert "not provisioned with" in pe.value.message
    # through the CLI: rotate to a and b, signed by a
    for key, stem in ((a, "a"), (b, "b")):
        save_private_key(key, tmp_path / f"{stem}.key")
        save_public_key(key, tmp_path / f"{stem}.pub")
    url = c.transport.description
    c.transport.close()  # the CLI's connection replaces ours, like re-plugging a cable
    r = CliRunner().invoke(main, ["provision", "-P", str(tmp_path / "a.pub"), "-P",
                                  str(tmp_path / "b.pub"), "-k", str(tmp_path / "a.key"),
                                  "--port", url])
    assert r.exit_code == 0 and "provisioned with 2 key(s)" in r.stdout, r.output
    c = DeviceClient(SerialTransport(url), timeout=3.0, key=b)
    assert c.info().keys == 2
    e = refused("kvuser", signed("kvuser", b, "1.0.0"))  # the pin survived the rotation
    assert "older than the installed 2.0.0" in e.message
    c.push("kvuser", signed("kvuser", b, "2.0.1"))
    assert c.run("kvuser", "get", []) == [i32(5)]  # its data stayed
    c.provision([])
    assert c.info().keys == 0
    c.push("bare", wasm("busy"))  # unprovisioned again
    c.transport.close()


def test_link_rule_names_the_ungranted_import(client: DeviceClient) -> None:
    manifest = parse_manifest_toml('name = "sneaky"\nversion = "1.0.0"\n'
                                   'capabilities = ["log"]\n')
    # built without the host's check, as an attacker would
    data = Package(manifest=manifest, module=wasm("kvuser")).to_bytes()
    with pytest.raises(DeviceRefused) as e:
        client.push("sneaky", data)
    assert e.value.status == p.Status.DENIED
    assert e.value.message == ("import wasmote.kv_set (i32, i32, i32, i32) -> (i32): not "
                               "granted by the manifest (needs "
                               "capability kv)")
    assert [m.name for m in client.modules()] == []


def test_kv_survives_reset_and_goes_with_rm(device: PosixDevice) -> None:
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    c.push("kvuser", package("kvuser"))
    assert c.run("kvuser", "put", [i32(1234)]) == [i32(0)]
    c.transport.close()
    device.kill()
    device.start()
    c = DeviceClient(SerialTransport(device.url), timeout=3.0)
    assert c.run("kvuser", "get", []) == [i32(1234)]
    c.remove("kvuser")
    c.push("kvuser", package("kvuser"))
    assert c.run("kvuser", "get", []) == [i32(-4)]  # WM_E_NOTFOUND: rm deleted its data
    c.transport.close()


def test_compaction_restarts_the_modules_it_moves(client: DeviceClient) -> None:
    """Modules execute in place from flash: when a push has to compact the store, the
    modules whose images move are stopped first and started again from the new place."""
    c = client
    fillers = {f"m{i}": image(30_000, 40 + i) for i in range(7)}  # 8 sectors each
    for name, data in fillers.items():
        c.push(name, data)
    c.push("blinker", package("blinker"))  # after the fillers, at the end of the store
    c.start("blinker")
    for name in ("m0", "m2", "m4"):
        c.remove(name)
    assert c.info().store_free < 90_000  # enough in total, not in one piece
    c.events.clear()
    c.push("big", image(90_000, 99))
    moved = [e.text for e in c.events if e.module == "blinker" and e.kind == p.Msg.EV_LOG]
    assert "restarting: the module store is being compacted" in moved
    # blinking again, from its new place: its next lateness report
    events_until(c, lambda e: e.module == "blinker" and e.kind == p.Msg.EV_LOG,
                 EVENT_DEADLINE_S)
    assert state(c, "blinker").state in ("sleeping", "ready")


def test_a_stop_between_a_compaction_and_the_next_step_holds(client: DeviceClient) -> None:
    """Issue 14 item 10: a compaction unloads the modules it moves and reloads them at the
    scheduler's next step; a STOP handled in between (here in the same burst of bytes as the
    PUSH_BEGIN that compacts, so the device handles both before it steps) used to be undone
    by that reload."""
    c = client
    for i in range(7):
        c.push(f"m{i}", image(30_000, 40 + i))  # 8 sectors each
    c.push("blinker", package("blinker"))  # after the fillers, at the end of the store
    c.start("blinker")
    for name in ("m0", "m2", "m4"):
        c.remove(name)
    data = image(90_000, 99)  # fits in total, not in one piece: PUSH_BEGIN compacts
    begin = p.Frame(p.FrameType.REQUEST, p.Msg.PUSH_BEGIN, 501, 0,
                    p.push_begin_body("big", len(data), sha(data), 0))
    stop = p.Frame(p.FrameType.REQUEST, p.Msg.STOP, 502, 0, p.str8("blinker"))
    c.events.clear()
    c.transport.write(begin.encode() + stop.encode())
    answers: dict[int, p.Frame] = {}
    deadline = time.monotonic() + 30.0
    while len(answers) < 2 and time.monotonic() < deadline:
        answers.update({f.seq: f for f in c.receive(0.2)})
    assert answers[501].status == p.Status.OK and answers[502].status == p.Status.OK, answers
    moved = [e.text for e in c.events if e.module == "blinker"]
    assert moved[:2] == ["restarting: the module store is being compacted", "stopped"], moved
    assert state(c, "blinker").state == "stopped"
    c.events.clear()
    # the blinker logs its lateness every 20 cycles of 50 ms: a second of events shows it
    # blinking again if the reload undid the STOP
    later = [e for e in collect(c, 1.5) if e.module == "blinker"]
    assert later == [] and state(c, "blinker").state == "stopped", later
    c.start("blinker")
    c.stop("blinker")  # and no stale reload brings it back after a START and STOP either
    assert [e for e in collect(c, 1.5) if e.module == "blinker" and e.text != "stopped"] == []
    assert state(c, "blinker").state == "stopped"
