"""Pub/sub between modules: a publication is charged for its fan-out (the subscribers'
patterns it is matched against and the queues it fills, docs/supervisor.md "Host work"),
and a full queue is shared fairly between its publishers (docs/api.md, `publish`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.protocol.conftest import CORE, build_c_test
from tests.sandbox.sandbox_support import Device, package, wat


def test_a_publication_pays_for_the_subscribers_it_reaches(harness: Path,
                                                           tmp_path: Path) -> None:
    """publish cost 10 units whoever subscribed. With three subscribers of four 32-byte
    patterns each, one 32+64-byte publication matched 12 patterns and copied 96 bytes into
    up to three queues (callgrind, x86-64 -O2, 9 subscribers: ~6800 instructions, 76 per unit
    charged, over the 32 a unit may cost): 150 of them fitted the 25 000 units that 150 with
    nobody listening take. Now each is charged its work, one unit per 4 bytes compared or
    copied."""
    fanout = wat("fanout", tmp_path)
    dev = Device(harness, tmp_path)
    for slot in range(4):
        dev.install(slot, package(fanout, f"f{slot}", ["pubsub:*"], fuel=25_000))
    alone = dev.cmd("call 0 flood 150")
    subs = [dev.cmd(f"call {slot} sub") for slot in (1, 2, 3)]
    heard = dev.cmd("call 0 flood 150")
    run = dev.run()
    assert run.lines[alone] == "ok 150"
    assert [run.lines[i] for i in subs] == ["ok 0"] * 3
    assert run.lines[heard] == "fuel"


def test_queues_keep_fair_shares_and_their_counts() -> None:
    """tests/protocol/c/pubsub_fair.c: 300 000 random attaches, detaches, publications,
    injections and receives keep every queue's per-sender counts true; publishers (and the
    bridge) flooding one queue end up holding depth / senders of it, or one more."""
    exe = build_c_test("pubsub_fair",
                       [CORE / "sandbox" / f for f in ("pubsub.c", "package.c",
                                                        "periph_target.c")]
                       + sorted((CORE / "base").glob("*.c"))
                       + sorted((CORE / "crypto").glob("*.c")),
                       includes=(CORE / "sandbox", CORE / "crypto", CORE / "periph",
                                 CORE / "runtime", CORE.parent.parent / "include"))
    proc = subprocess.run([str(exe)], capture_output=True, text=True, check=False,
                          timeout=120)
    assert (proc.returncode, proc.stdout) == (0, "ok\n"), proc.stdout + proc.stderr
