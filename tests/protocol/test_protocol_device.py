"""The posix device over TCP (pyserial socket://): every message, errors, resume, crashes."""

from __future__ import annotations

import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest

from tests.harness.posix_device import PosixDevice
from tests.harness.transports import CuttingTransport
from tests.protocol.helpers import held, image, request, sha
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused, DeviceTimeout, LinkError
from wasmote.device.transport import PipeTransport, SerialTransport


def test_info_reports_the_device(client: DeviceClient) -> None:
    i = client.info()
    assert i.protocol_version == 1
    assert i.board == "posix" and i.firmware_version.startswith("wasmote-posix")
    assert i.store_capacity == 256 * 1024
    assert 0 < i.store_free < i.store_capacity
    assert i.max_chunk == 1024 and i.window >= 1
    assert "store" in i.feature_names() and "resume" in i.feature_names()
    assert i.modules == 0


def test_push_list_replace_remove(client: DeviceClient) -> None:
    a1, b = image(5000, 1), image(20000, 2)
    client.push("alpha", a1)
    client.push("beta", b)
    mods = {m.name: m for m in client.modules()}
    assert set(mods) == {"alpha", "beta"}
    assert mods["alpha"].size == 5000 and mods["alpha"].sha256 == sha(a1)
    assert mods["beta"].sha256 == sha(b) and not mods["beta"].autostart
    a2 = image(7000, 3)
    client.push("alpha", a2)
    mods2 = {m.name: m for m in client.modules()}
    assert mods2["alpha"].sha256 == sha(a2) and mods2["alpha"].size == 7000
    assert mods2["alpha"].generation > mods["alpha"].generation
    assert client.info().modules == 2
    client.remove("alpha")
    assert held(client) == {"beta": sha(b)}
    with pytest.raises(DeviceRefused) as e:
        client.remove("alpha")
    assert e.value.status == p.Status.NOT_FOUND


def test_autostart_flag_survives_reset_and_power_cycle(device: PosixDevice) -> None:
    c = DeviceClient(SerialTransport(device.url))
    c.push("auto", image(3000, 4), autostart=True)
    c.push("manual", image(3000, 5))
    flags = {m.name: m.autostart for m in c.modules()}
    assert flags == {"auto": True, "manual": False}
    c.reset()
    logs = c.logs()
    assert "auto: autostart" in logs and "manual" not in logs
    c.transport.close()
    device.kill()
    device.start()
    c = DeviceClient(SerialTransport(device.url))
    assert {m.name: m.autostart for m in c.modules()} == flags
    assert "auto: autostart" in c.logs()
    c.transport.close()


def test_list_pages_and_too_many_modules_is_a_clean_error(client: DeviceClient) -> None:
    names = [f"mod{i:02d}" for i in range(23)]
    for i, n in enumerate(names):
        client.push(n, image(1000, i))
    assert [m.name for m in client.modules()] == names  # more than one LIST page
    with pytest.raises(DeviceRefused) as e:
        client.push("one-too-many", image(1000, 99))
    assert e.value.status == p.Status.NO_SPACE
    assert len(client.modules()) == 23


def test_flash_full_is_a_clean_error_and_loses_nothing(client: DeviceClient) -> None:
    big = image(150_000, 6)
    client.push("big", big)
    with pytest.raises(DeviceRefused) as e:
        client.push("big2", image(150_000, 7))
    assert e.value.status == p.Status.NO_SPACE
    with pytest.raises(DeviceRefused) as e:
        client.push("huge", image(300_000, 8))
    assert e.value.status == p.Status.TOO_LARGE
    # replacing needs room for both copies until the commit: refused, old one kept
    with pytest.raises(DeviceRefused):
        client.push("big", image(150_000, 9))
    assert held(client) == {"big": sha(big)}


def test_fragmented_store_is_compacted_for_a_big_push(client: DeviceClient) -> None:
    mods = {f"m{i}": image(30_000, 30 + i) for i in range(8)}  # 8 sectors each, 64 total
    for name, data in mods.items():
        client.push(name, data)
    for name in ("m1", "m3", "m5"):
        client.remove(name)
        del mods[name]
    assert client.info().store_free < 90_000  # 24 free sectors, at most 8 contiguous
    mods["big"] = image(90_000, 99)
    client.push("big", mods["big"])
    assert held(client) == {n: sha(d) for n, d in mods.items()}


def test_bad_requests_get_error_responses(client: DeviceClient) -> None:
    assert request(client, 0x55).status == p.Status.UNKNOWN_MSG
    assert request(client, p.Msg.INFO, version=9).status == p.Status.BAD_VERSION
    assert request(client, p.Msg.PUSH_BEGIN, b"\x01\x02").status == p.Status.MALFORMED
    assert request(client, p.Msg.PUSH_CHUNK, b"\0\0\0\0abc").status == p.Status.BAD_STATE
    assert request(client, p.Msg.PUSH_COMMIT).status == p.Status.BAD_STATE
    assert request(client, p.Msg.REMOVE, b"\x09abc").status == p.Status.MALFORMED
    assert request(client, p.Msg.LIST, b"").status == p.Status.MALFORMED
    bad_name = p.push_begin_body("no spaces", 10, bytes(32), 0)
    r = request(client, p.Msg.PUSH_BEGIN, bad_name)
    assert r.status == p.Status.BAD_NAME and b"1-31 characters" in r.body
    run = request(client, p.Msg.RUN, p.run_body("x", "main", [p.WireValue("i32", 1)]))
    assert run.status == p.Status.NOT_FOUND
    assert request(client, p.Msg.STOP, p.str8("x")).status == p.Status.NOT_FOUND
    assert client.info().protocol_version == 1  # and it still works


def test_wrong_hash_is_refused_and_nothing_is_installed(client: DeviceClient) -> None:
    data = image(3000, 10)
    begin = p.push_begin_body("liar", len(data), sha(b"something else"), 0)
    assert request(client, p.Msg.PUSH_BEGIN, begin, seq=1).status == p.Status.OK
    for off in range(0, len(data), 1024):
        chunk = struct.pack("<I", off) + data[off:off + 1024]
        assert request(client, p.Msg.PUSH_CHUNK, chunk, seq=2 + off).status == p.Status.OK
    commit = request(client, p.Msg.PUSH_COMMIT, seq=9000)
    assert commit.status == p.Status.HASH_MISMATCH
    assert held(client) == {}


def test_chunks_keep_8_byte_boundaries_except_the_last(client: DeviceClient) -> None:
    """Flash with ECC programs 8-byte units once: only the image's last chunk may be odd."""
    data = image(1001, 13)
    begin = p.push_begin_body("odd", len(data), sha(data), 0)
    assert request(client, p.Msg.PUSH_BEGIN, begin, seq=1).status == p.Status.OK
    bad = request(client, p.Msg.PUSH_CHUNK, struct.pack("<I", 0) + data[:100], seq=2)
    assert bad.status == p.Status.MALFORMED and b"multiple of 8" in bad.body
    for seq, (lo, hi) in enumerate(((0, 96), (96, 1001)), start=3):  # 96 bytes, then the rest
        ok = request(client, p.Msg.PUSH_CHUNK, struct.pack("<I", lo) + data[lo:hi], seq=seq)
        assert ok.status == p.Status.OK
    assert request(client, p.Msg.PUSH_COMMIT, seq=9).status == p.Status.OK
    assert held(client) == {"odd": sha(data)}


def test_a_retransmitted_request_is_answered_again_not_redone(client: DeviceClient) -> None:
    client.push("once", image(2000, 11))
    first = request(client, p.Msg.REMOVE, p.str8("once"), seq=4242)
    again = request(client, p.Msg.REMOVE, p.str8("once"), seq=4242)
    assert first.status == again.status == p.Status.OK
    fresh = request(client, p.Msg.REMOVE, p.str8("once"), seq=4243)
    assert fresh.status == p.Status.NOT_FOUND


def test_push_resumes_after_a_disconnect(device: PosixDevice) -> None:
    data = image(60_000, 12)
    c = DeviceClient(CuttingTransport(SerialTransport(device.url), after=30_000))
    with pytest.raises(LinkError):
        c.push("resumed", data)
    c.transport.close()
    c2 = DeviceClient(SerialTransport(device.url))
    r = c2.push("resumed", data)
    assert 0 < r.resumed_from < len(data) and r.resumed_from % 1024 == 0
    assert held(c2) == {"resumed": sha(data)}
    # a different push of the same name starts over
    other = image(60_000, 13)
    assert c2.push("resumed", other).resumed_from == 0
    assert held(c2) == {"resumed": sha(other)}
    c2.transport.close()


def test_killing_the_device_mid_push_keeps_the_old_module(device: PosixDevice) -> None:
    old, new = image(40_000, 14), image(50_000, 15)
    c = DeviceClient(SerialTransport(device.url))
    c.push("app", old)

    def pull_the_plug(acked: int, size: int) -> None:
        if acked > 20_000 and device.alive():
            device.kill()

    with pytest.raises((LinkError, DeviceTimeout)):
        c.push("app", new, progress=pull_the_plug)
    c.transport.close()
    device.start()
    c = DeviceClient(SerialTransport(device.url))
    assert held(c) == {"app": sha(old)}
    c.push("app", new)  # and the store is still usable
    assert held(c) == {"app": sha(new)}
    c.transport.close()


def test_a_silent_peer_gives_a_timeout_error() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    conns: list[socket.socket] = []
    threading.Thread(target=lambda: conns.append(srv.accept()[0]), daemon=True).start()
    c = DeviceClient(SerialTransport(f"socket://127.0.0.1:{port}"), timeout=0.3, retries=1,
                     slow_timeout=0.3)
    with pytest.raises(DeviceTimeout, match=r"no answer to INFO .* after 2 tries"):
        c.info()
    with pytest.raises(DeviceTimeout, match="PUSH_BEGIN"):
        c.push("x", image(5000, 16))
    c.transport.close()
    for s in conns:
        s.close()
    srv.close()


def test_stdio_device_over_pipes(device_exe: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen([str(device_exe), "--flash", str(tmp_path / "f.bin"), "--stdio"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    c = DeviceClient(PipeTransport(proc, "wasmote-device --stdio"))
    data = image(30_000, 20)
    c.push("piped", data)
    assert held(c) == {"piped": sha(data)}
    c.transport.close()  # EOF on its stdin: the stdio device exits cleanly
    assert proc.wait(timeout=10) == 0
