import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasmote.package.capabilities import Capability, CapKind
from wasmote.package.errors import ManifestError, PackageFormatError
from wasmote.package.manifest import (
    DEFAULT_KV_BYTES,
    Limits,
    Manifest,
    Version,
    decode_manifest,
    encode_manifest,
    load_manifest,
    manifest_to_toml,
    parse_manifest_toml,
)

from .helpers import BLINKY_TOML, sample_manifest


def test_parse_blinky():
    m = parse_manifest_toml(BLINKY_TOML)
    assert m.name == "blinky"
    assert m.version == Version(1, 2, 3)
    assert m.entry == "run"
    assert m.capabilities == (Capability(CapKind.LOG), Capability(CapKind.GPIO, "led0"))
    assert m.limits == Limits(memory_bytes=65536, fuel_per_slice=5000)
    assert not m.autostart


def test_defaults_and_kv_quota():
    m = parse_manifest_toml('name = "a"\nversion = "0.0.1"\ncapabilities = ["kv"]\n')
    assert m.limits.kv_bytes == DEFAULT_KV_BYTES
    assert m.entry == "" and m.api_version == 1


def test_sizes():
    m = parse_manifest_toml('name="a"\nversion="1.0.0"\n[limits]\nmemory="1MiB"\nstack="2K"\n')
    assert m.limits.memory_bytes == 1 << 20 and m.limits.stack_bytes == 2048


@pytest.mark.parametrize("text,fragment", [
    ('version = "1.0.0"', "missing required key 'name'"),
    ('name = "a"', "missing required key 'version'"),
    ('name = "a"\nversion = "1.0"', "bad version '1.0'"),
    ('name = "a"\nversion = "1.0.70000"', "each part 0..65535"),
    ('name = "a"\nversion = "01.0.0"', "bad version"),
    ('name = 5\nversion = "1.0.0"', "'name' must be a string, got integer"),
    ('name = "a b"\nversion = "1.0.0"', "bad module name 'a b'"),
    ('name = "' + "a" * 33 + '"\nversion = "1.0.0"', "bad module name"),
    # the device installs a module under its manifest name: a store name, at most 31
    ('name = "' + "a" * 32 + '"\nversion = "1.0.0"', "1-31 characters"),
    ('name = "a"\nversion = "1.0.0"\nnmae = 1', "unknown key 'nmae'"),
    ('name = "a"\nversion = "1.0.0"\napi = 2', "unsupported host API version 2"),
    ('name = "a"\nversion = "1.0.0"\napi = true', "'api' must be a integer, got boolean"),
    ('name = "a"\nversion = "1.0.0"\ncapabilities = ["net"]', "unknown capability 'net'"),
    ('name = "a"\nversion = "1.0.0"\ncapabilities = [1]', "list of strings"),
    ('name = "a"\nversion = "1.0.0"\ncapabilities = "log"', "must be a list"),
    ('name = "a"\nversion = "1.0.0"\nentry = "a b"', "bad entry"),
    ('name = "a"\nversion = "1.0.0"\n[limits]\nram = 5', "unknown key limits.ram"),
    ('name = "a"\nversion = "1.0.0"\n[limits]\nstack = 10', r"limits.stack = 10 is out of"),
    ('name = "a"\nversion = "1.0.0"\n[limits]\nmemory = "5GiB"', "size like"),
    ('name = "a"\nversion = "1.0.0"\n[limits]\nmemory = 5000000000', "out of range"),
    ('name = "a"\nversion = "1.0.0"\n[limits]\nfuel = 1.5', "must be an integer"),
    ('name = "a"\nversion = "1.0.0"\n[limits]\nkv = 10', "'kv' is not granted"),
    ('name = "a"\nversion = "1.0.0"\ncapabilities = ["log", "log"]', "listed twice"),
    ('name = "a"\nver sion = 1', "invalid TOML: .*line 2"),
])
def test_bad_toml(text, fragment):
    with pytest.raises(ManifestError, match=fragment) as info:
        parse_manifest_toml(text, source="m.toml")
    assert str(info.value).startswith("m.toml: ")


def test_load_errors(tmp_path):
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'name = "\xff"\n')
    with pytest.raises(ManifestError, match="not UTF-8 text"):
        load_manifest(bad)


def test_binary_round_trip_and_layout():
    m = sample_manifest()
    data = encode_manifest(m)
    assert decode_manifest(data) == m
    # Fixed layout checks (docs/module-format.md): enc version, api, flags, name.
    assert data[:4] == bytes([1, 1, 1, len("sensor-1")])
    assert data[4:12] == b"sensor-1"
    assert data[12:18] == bytes([2, 0, 0, 0, 1, 0])
    assert data[18:22] == (131072).to_bytes(4, "little")
    assert data[-(2 + len("sensors/*")):] == bytes([CapKind.PUBSUB, 9]) + b"sensors/*"


def test_toml_round_trip():
    m = sample_manifest(entry='we"ird\\')
    assert parse_manifest_toml(manifest_to_toml(m)) == m


@pytest.mark.parametrize("data,offset,fragment", [
    (b"", 0, "truncated: encoding version"),
    (b"\x05", 0, "unknown manifest encoding version 5"),
    (b"\x01\x01\x02", 2, "reserved flag bits"),
    (b"\x02\x01\x04", 2, "reserved flag bits"),
    (b"\x01\x01\x00\x00", 3, "name length 0 out of range 1..31"),
    (b"\x01\x01\x00\x21", 3, "name length 33"),
    (b"\x01\x01\x00\x03ab", 4, "truncated: name needs 3 bytes, 2 left"),
    (b"\x01\x01\x00\x01\xff", 4, "name is not ASCII"),
    (b"\x01\x01\x00\x02a b", 4, "bad module name 'a '"),
    (b"\x01\x01\x00\x01a" + bytes(22) + b"\x02a ", 28, "bad entry 'a '"),
])
def test_binary_errors(data, offset, fragment):
    with pytest.raises(PackageFormatError, match=fragment) as info:
        decode_manifest(data, base=0x100, source="p.wmp")
    assert info.value.offset == 0x100 + offset
    assert info.value.one_line().startswith(f"p.wmp:0x{0x100 + offset:x}: manifest: ")


def test_encoding_2_only_for_its_fields():
    """cpu, queue and on_trap need encoding 2; everything else keeps encoding 1, so the
    golden packages and older devices are unaffected."""
    plain = sample_manifest()
    assert encode_manifest(plain)[0] == 1
    for change in ({"cpu_fuel_per_s": 2_000_000}, {"queue_depth": 2}):
        m = dataclasses.replace(plain, limits=dataclasses.replace(plain.limits, **change))
        data = encode_manifest(m)
        assert data[0] == 2 and decode_manifest(data) == m
    m = dataclasses.replace(plain, on_trap="restart")
    data = encode_manifest(m)
    assert data[0] == 2 and data[2] & 2 and decode_manifest(data) == m
    assert parse_manifest_toml(manifest_to_toml(m)) == m
    # encoding 2 with none of its fields is not canonical
    v2_plain = bytes([2]) + encode_manifest(plain)[1:] + b"\0\0\0\0\x08"
    with pytest.raises(PackageFormatError, match="encoding 2 without any of its fields"):
        decode_manifest(v2_plain)
    with pytest.raises(PackageFormatError, match=r"limits\.queue 9 out of range"):
        decode_manifest(bytes([2]) + encode_manifest(plain)[1:] + b"\1\0\0\0\x09")
    with pytest.raises(ManifestError, match="on_trap must be one of stop, restart"):
        parse_manifest_toml('name = "a"\nversion = "1.0.0"\non_trap = "retry"\n')
    with pytest.raises(ManifestError, match=r"limits.queue = 0 is out of range 1..8"):
        parse_manifest_toml('name = "a"\nversion = "1.0.0"\n[limits]\nqueue = 0\n')


def test_encoding_4_only_for_kv_write():
    """limits.kv_write (flash bytes of kv records per hour, issue 14 item 9) needs encoding
    4: encoding 3's argument and environment lists (empty here), then the budget; its
    default keeps the older encodings, and args/env alone still write encoding 3."""
    plain = sample_manifest()
    assert plain.limits.kv_write_per_hour == 256
    m = dataclasses.replace(plain, limits=dataclasses.replace(plain.limits,
                                                              kv_write_per_hour=4096))
    data = encode_manifest(m)
    tail = b"\0\0\0\0\x08" + b"\0\0" + (4096).to_bytes(4, "little")
    assert data[0] == 4 and data[-len(tail):] == tail
    assert decode_manifest(data) == m
    assert parse_manifest_toml(manifest_to_toml(m)) == m
    with_args = dataclasses.replace(m, args=("-v",), env=(("A", "1"),))
    data = encode_manifest(with_args)
    assert data[0] == 4 and decode_manifest(data) == with_args
    assert parse_manifest_toml(manifest_to_toml(with_args)) == with_args
    assert encode_manifest(dataclasses.replace(plain, args=("-v",)))[0] == 3
    assert parse_manifest_toml('name = "a"\nversion = "1.0.0"\ncapabilities = ["kv"]\n'
                               '[limits]\nkv_write = "4K"\n').limits.kv_write_per_hour == 4096
    v4 = bytes([4]) + encode_manifest(plain)[1:] + b"\0\0\0\0\x08" + b"\0\0"
    with pytest.raises(PackageFormatError, match="encoding 4 with the default"):
        decode_manifest(v4 + (256).to_bytes(4, "little"))
    with pytest.raises(PackageFormatError, match="encoding 3 without arguments"):
        decode_manifest(bytes([3]) + v4[1:])
    no_kv = dataclasses.replace(plain, capabilities=(Capability(CapKind.LOG),),
                                limits=dataclasses.replace(plain.limits, kv_bytes=0))
    with pytest.raises(PackageFormatError, match="kv_write is set but 'kv' is not granted"):
        decode_manifest(bytes([4]) + encode_manifest(no_kv)[1:] + b"\0\0\0\0\x08\0\0" +
                        (100).to_bytes(4, "little"))
    with pytest.raises(ManifestError, match="kv_write is set but the capability 'kv'"):
        parse_manifest_toml('name = "a"\nversion = "1.0.0"\n[limits]\nkv_write = 100\n')


def test_binary_unknown_kind_and_trailing():
    data = bytearray(encode_manifest(sample_manifest()))
    with pytest.raises(PackageFormatError, match="1 trailing bytes"):
        decode_manifest(bytes(data) + b"\x00")
    cap0 = len(data) - (2 + 2 + 6 + 11)  # log, kv, gpio:led0, pubsub:sensors/*
    assert data[cap0:cap0 + 2] == bytes([CapKind.LOG, 0])
    data[cap0] = 99
    with pytest.raises(PackageFormatError, match="capability 0: unknown kind 99"):
        decode_manifest(bytes(data))


def test_manifest_constructor_checks():
    with pytest.raises(ManifestError):
        Manifest(name="", version=Version(1, 0, 0))


# --- hostile input: only documented errors, and whatever decodes is canonical ----------

_SETTINGS = settings(max_examples=300, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _decode_or_documented(data: bytes) -> None:
    try:
        m = decode_manifest(data)
    except PackageFormatError as e:
        assert e.one_line().startswith("manifest:0x")
        return
    assert encode_manifest(m) == data


@_SETTINGS
@given(st.binary(max_size=200))
def test_random_binary(data):
    _decode_or_documented(data)


@_SETTINGS
@given(st.data())
def test_mutated_binary(data):
    raw = bytearray(encode_manifest(sample_manifest()))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        pos = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if op == "flip" and raw:
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "set" and raw:
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[pos:]
        else:
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=3))
    _decode_or_documented(bytes(raw))


@_SETTINGS
@given(st.text(max_size=200))
def test_random_toml_text(text):
    try:
        parse_manifest_toml(text)
    except ManifestError:
        pass


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["1.0.0", "log", "gpio:led0", "64KiB", "kv"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["memory", "stack", "fuel", "kv", "x"]), inner, max_size=4),
    max_leaves=8)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v) if isinstance(v, int) else json.dumps(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()
                               if x is not None) + "}"
    return '""'


_caps = st.lists(st.sampled_from(["log", "time", "sleep", "kv", "gpio:led0", "gpio:*",
                                  "pubsub:a/*", "pubsub:*", "gpio:X", "net"]), max_size=5)
_limits = st.dictionaries(st.sampled_from(["memory", "stack", "fuel", "kv", "x"]),
                          st.integers(-1, 2**33) | st.sampled_from(["64KiB", "1M", "2 K", "x"]),
                          max_size=4)


@_SETTINGS
@given(st.fixed_dictionaries(
    {"name": st.sampled_from(["app", "a.b-c_1"]) | _values,
     "version": st.sampled_from(["1.0.0", "65535.0.1"]) | _values},
    optional={"api": st.just(1) | _values, "entry": st.sampled_from(["run"]) | _values,
              "autostart": st.booleans() | _values, "capabilities": _caps | _values,
              "limits": _limits | _values, "other": _values}))
def test_structured_toml(doc):
    text = "\n".join(f"{k} = {_toml_value(v)}" for k, v in doc.items() if v is not None)
    try:
        m = parse_manifest_toml(text)
    except ManifestError:
        return
    assert decode_manifest(encode_manifest(m)) == m
