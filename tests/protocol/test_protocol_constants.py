"""Every constant the device and the host share is the same on both sides: wire.h and the
core's one status vocabulary base/wm_status.h (the device's sources) against
wasmote.device.protocol (the host codec)."""

from __future__ import annotations

import re

from wasmote.device import protocol as p
from wasmote.paths import FIRMWARE_DIR

WIRE_H = FIRMWARE_DIR / "src" / "core" / "protocol" / "wire.h"
STATUS_H = FIRMWARE_DIR / "src" / "core" / "base" / "wm_status.h"


def wire_constants() -> dict[str, int]:
    text = WIRE_H.read_text() + STATUS_H.read_text()
    out = {}
    for name, value in re.findall(r"^\s*#define\s+(WM_\w+)\s+\(?(0x[0-9A-Fa-f]+|\d+)u?\)?",
                                  text, re.M):
        out[name] = int(value, 0)
    for name, value in re.findall(r"^\s*(WM_\w+)\s*=\s*(0x[0-9A-Fa-f]+|\d+),", text, re.M):
        out[name] = int(value, 0)
    return out


def test_messages_statuses_and_limits_match_wire_h() -> None:
    c = wire_constants()
    msgs = {k.removeprefix("WM_MSG_").removeprefix("WM_"): v for k, v in c.items()
            if k.startswith(("WM_MSG_", "WM_EV_"))}
    assert msgs == {m.name: int(m) for m in p.Msg}
    statuses = {k.removeprefix("WM_ST_"): v for k, v in c.items() if k.startswith("WM_ST_")}
    assert statuses == {s.name: int(s) for s in p.Status}
    feats = {k.removeprefix("WM_FEAT_"): v for k, v in c.items() if k.startswith("WM_FEAT_")}
    assert feats == {k.removeprefix("FEAT_"): getattr(p, k) for k in dir(p)
                     if k.startswith("FEAT_")}
    assert c["WM_PROTO_VERSION"] == p.PROTO_VERSION
    assert c["WM_PROTO_MAX_CHUNK"] == p.MAX_CHUNK
    assert c["WM_PROTO_WINDOW"] == p.WINDOW
    assert c["WM_PROTO_LIST_MAX"] == p.LIST_MAX
    assert c["WM_MODFLAG_AUTOSTART"] == p.MODFLAG_AUTOSTART
    assert (c["WM_CODE_IN_PLACE"], c["WM_CODE_PREDECODED"], c["WM_CODE_REFUSED"]) == \
        (p.CODE_IN_PLACE, p.CODE_PREDECODED, p.CODE_REFUSED)
    assert len(p.CODE_NAMES) == 3
    assert {c[f"WM_VT_{t.upper()}"]: t for t in ("i32", "i64", "f32", "f64")} == \
        p.VALUE_TYPES


def test_authentication_constants_match_wire_h() -> None:
    c = wire_constants()
    assert c["WM_FRAME_FLAG_AUTH"] == p.FRAME_FLAG_AUTH
    assert c["WM_DEVICE_ID_BYTES"] == p.DEVICE_ID_BYTES
    assert c["WM_AUTH_NONCE_BYTES"] == p.AUTH_NONCE_BYTES
    assert 32 + c["WM_AUTH_NONCE_BYTES"] + 64 == p.AUTH_TRAILER
    assert c["WM_AUTH_NONCES"] == p.AUTH_NONCES
    assert c["WM_AUTH_NONCE_MS"] == p.AUTH_NONCE_MS
    roles = {k.removeprefix("WM_ROLE_"): v for k, v in c.items() if k.startswith("WM_ROLE_")}
    assert roles == {n.upper(): bit for bit, n in p.ROLE_NAMES.items()}
    assert c["WM_ROLES_ALL"] == p.ROLES_ALL
    assert (c["WM_PROV_CLEAR_PINS"], c["WM_PROV_KEEP_KEYS"]) == (p.PROV_CLEAR_PINS,
                                                                 p.PROV_KEEP_KEYS)
    assert c["WM_NONCE_AUTH_REQUIRED"] == p.NONCE_AUTH_REQUIRED
    assert c["WM_SUBSCRIBE_MAX_S"] == p.SUBSCRIBE_MAX_S
    assert c["WM_BRIDGE_OUT_PER_S"] == p.BRIDGE_OUT_PER_S
    # the signed message's domain, and the random kinds INFO reports (core/random)
    auth_c = (WIRE_H.parent / "auth.c").read_text()
    assert f'"{p.AUTH_DOMAIN[:-1].decode()}"' in auth_c
    random_h = (WIRE_H.parent.parent / "random" / "random.h").read_text()
    kinds = dict(re.findall(r"WM_RANDOM_(\w+) = (\d)", random_h))
    assert {int(v): k for k, v in kinds.items()} == {0: "NONE", 1: "HARDWARE", 2: "SEEDED"}
    assert {int(v) for v in kinds.values()} == set(p.RANDOM_KINDS)


def test_the_open_messages_are_the_devices() -> None:
    """The host sends a token with every message but these: the ones the dispatcher's
    role_needed() answers 0 for."""
    src = (WIRE_H.parent / "protocol.c").read_text()
    body = src[src.index("static uint8_t role_needed"):]
    open_cases = body[:body.index("return 0;")]
    names = set(re.findall(r"case WM_MSG_(\w+):", open_cases))
    assert names == {m.name for m in p.OPEN_MSGS}


def test_capability_kinds_and_pubsub_limits_match_the_device() -> None:
    """The manifest's capability kinds (package.h) and the pub/sub limits a bridged message
    obeys (sb_api.h) are the host's."""
    from wasmote.package.capabilities import MAX_TOPIC_BYTES, CapKind

    sandbox = WIRE_H.parent.parent / "sandbox"
    kinds = dict(re.findall(r"WM_CAP_(\w+) = (\d+)", (sandbox / "package.h").read_text()))
    assert {k: int(v) for k, v in kinds.items()} == {k.name: int(k) for k in CapKind}
    api = dict(re.findall(r"#define (WM_\w+) (\d+)u", (sandbox / "sb_api.h").read_text()))
    assert int(api["WM_TOPIC_MAX"]) == p.TOPIC_MAX == MAX_TOPIC_BYTES
    assert int(api["WM_MESSAGE_MAX"]) == p.MESSAGE_MAX
