"""Every constant the device and the host share is the same on both sides: wire.h (the
device's one source) against wasmote.device.protocol (the host codec)."""

from __future__ import annotations

import re

from wasmote.device import protocol as p
from wasmote.paths import FIRMWARE_DIR

WIRE_H = FIRMWARE_DIR / "src" / "core" / "protocol" / "wire.h"


def wire_constants() -> dict[str, int]:
    text = WIRE_H.read_text()
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
    assert {c[f"WM_VT_{t.upper()}"]: t for t in ("i32", "i64", "f32", "f64")} == \
        p.VALUE_TYPES
