"""Native (AOT) modules on the product firmware under QEMU (mps2-an386, Cortex-M4F): a
provisioned board runs the AOT section of a signed package, in place from its store, with
the same results as the interpreter, preempted and blocked like any module; an
unprovisioned board ignores native code and interprets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.sim_client import booted_client
from tests.supervisor.modules import package
from tests.supervisor.test_supervisor_device import collect_until, logged, state
from tests.supervisor.test_supervisor_qemu import QEMU_BLINK_TOLERANCE_MS, QEMU_EVENT_DEADLINE_S
from wasmote.aot.compile import compile_wasm
from wasmote.aot.package import with_aot
from wasmote.aot.targets import get_target
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.package.container import parse_package
from wasmote.package.keys import public_key_bytes, sign_package

pytestmark = pytest.mark.qemu

BOARD = "mps2-an386"


@pytest.fixture
def board() -> Iterator[DeviceClient]:
    # the blinker's timing: in instructions
    with booted_client(BOARD, timeout=3.0, icount="while-running") as c:
        yield c


def _native(name: str, key: Ed25519PrivateKey | None) -> bytes:
    """The module's package with a Cortex-M4 AOT section (what `wasmote compile` makes)."""
    pkg = parse_package(package(name))
    pkg = with_aot(pkg, [compile_wasm(pkg.module, get_target("cortex-m4")).aot])
    return (sign_package(pkg, key) if key else pkg).to_bytes()


def test_signed_aot_runs_natively_beside_interpreted_modules(board: DeviceClient) -> None:
    c = board
    assert "aot" in c.info().feature_names()
    c.push("kvuser", _native("kvuser", None))  # unprovisioned: native code is ignored
    assert c.run("kvuser", "put", [p.WireValue("i32", 9)]) == [p.WireValue("i32", 0)]
    c.push("busy", _native("busy", None))
    c.start("busy")
    assert state(c, "busy").kind == "package"  # interpreted: nothing vouches for the code
    c.stop("busy")
    key = Ed25519PrivateKey.generate()
    c.provision([public_key_bytes(key)])
    c.key = key  # management now needs tokens, and module events a subscription
    c.subscribe(p.SUBSCRIBE_MAX_S)
    c.push("kvuser", _native("kvuser", key))
    c.push("busy", _native("busy", key))
    c.push("blinker", sign_package(parse_package(package("blinker")), key).to_bytes())
    assert c.run("kvuser", "get", []) == [p.WireValue("i32", 9)]  # same data, native code
    c.start("busy")     # native, never yields: preempted at its fuel slices
    c.start("blinker")  # interpreted beside it
    events = collect_until(c, lambda evs: len(logged(evs, "blinker")) >= 1,  # 20 wake-ups
                           QEMU_EVENT_DEADLINE_S)
    late = [int(text) for text in logged(events, "blinker")]
    assert max(late) <= QEMU_BLINK_TOLERANCE_MS, late
    busy = state(c, "busy")
    assert (busy.kind, busy.state) == ("package+aot", "ready") and busy.fuel_per_s > 0
    assert state(c, "blinker").kind == "package"
    c.stop("busy")
    assert state(c, "busy").state == "stopped"
