"""Value parsing and formatting for the driver wire form and `wasmote exec`."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.harness.spec_driver import Answer, escape_name, unescape_name
from tests.harness.spec_runner import value_matches
from wasmote.runtime.values import Value, ValueError_, f32_from_bits, parse_user_value


@pytest.mark.parametrize("text,typ,bits", [
    ("7", "i32", 7),
    ("-1", "i32", 0xFFFFFFFF),
    ("i32:0x10", "i32", 16),
    ("i64:-2", "i64", 0xFFFFFFFFFFFFFFFE),
    ("f32:1.5", "f32", 0x3FC00000),
    ("f64:0.1", "f64", 0x3FB999999999999A),
    ("f64:-inf", "f64", 0xFFF0000000000000),
    ("f32:nan", "f32", 0x7FC00000),
    ("f32:-nan:0x1", "f32", 0xFF800001),
    ("f64:0x1p-3", "f64", 0x3FC0000000000000),
    ("externref:null", "externref", None),
])
def test_parse_user_value(text, typ, bits):
    assert parse_user_value(text) == Value(typ, bits)


@pytest.mark.parametrize("text", ["i32:4294967296", "x", "i32:1.5", "i8:1", "f32:1e39",
                                  "f32:nan:0x800000", "i64:"])
def test_parse_user_value_rejects(text):
    with pytest.raises(ValueError_):
        parse_user_value(text)


@pytest.mark.parametrize("value,text", [
    (Value("i32", 0xFFFFFFFF), "i32:-1"),
    (Value("i64", 1 << 63), "i64:-9223372036854775808"),
    (Value("f32", 0x3DCCCCCD), "f32:0.1"),
    (Value("f64", 0x3FB999999999999A), "f64:0.1"),
    (Value("f32", 0x7F800000), "f32:inf"),
    (Value("f64", 0xFFF8000000000000), "f64:-nan"),
    (Value("f32", 0x7FA00000), "f32:nan:0x200000"),
    (Value("f64", 0x4000000000000000), "f64:2.0"),
    (Value("f32", 0x7149F2CA), "f32:1e+30"),
    (Value("funcref", None), "funcref:null"),
])
def test_user_form(value, text):
    assert value.user() == text


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_f32_user_form_round_trips(bits):
    v = Value("f32", bits)
    assert parse_user_value(v.user()) == v
    if f32_from_bits(bits) == f32_from_bits(bits):  # not NaN: shortest means <= 9 digits
        mantissa = v.user().split(":")[1].lstrip("-").split("e")[0]
        assert len(mantissa.replace(".", "").strip("0")) <= 9


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_f64_and_i64_round_trip(bits):
    for typ in ("f64", "i64"):
        v = Value(typ, bits)
        assert parse_user_value(v.user()) == v
        assert Value.from_wire(v.wire()) == v


@given(st.binary(max_size=40))
def test_escape_round_trip(raw):
    token = escape_name(raw)
    assert " " not in token and token
    assert unescape_name(token) == raw
    assert unescape_name(token.replace(":", "%3A")) == raw


def test_escape_name():
    assert escape_name("call Mf.call") == "call%20Mf.call"
    assert escape_name("100%") == "100%25"
    assert escape_name("\u00e9") == "%C3%A9"
    assert escape_name("") == "%"
    assert escape_name("a\0b") == "a%00b"


def test_answer_parse():
    a = Answer.parse("ok i32:2a f64:3ff0000000000000 externref:null")
    assert a.kind == "ok"
    assert [v.user() for v in a.values] == ["i32:42", "f64:1.0", "externref:null"]
    e = Answer.parse("error invalid 1f3 type mismatch")
    assert (e.kind, e.error_kind, e.offset, e.message) == ("error", "invalid", 0x1F3,
                                                           "type mismatch")
    t = Answer.parse("trap integer divide by zero")
    assert (t.kind, t.message) == ("trap", "integer divide by zero")


def _f32(x: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", x))[0])


@pytest.mark.parametrize("expected,bits,ok", [
    ("nan:canonical", 0x7FC00000, True),
    ("nan:canonical", 0xFFC00000, True),
    ("nan:canonical", 0x7FC00001, False),
    ("nan:arithmetic", 0x7FC00001, True),
    ("nan:arithmetic", 0x7F800001, False),
    (str(_f32(1.0)), _f32(1.0), True),
    (str(_f32(-0.0)), _f32(0.0), False),
])
def test_nan_classes_f32(expected, bits, ok):
    assert value_matches({"type": "f32", "value": expected}, Value("f32", bits)) is ok


def test_nan_classes_f64():
    canon = {"type": "f64", "value": "nan:canonical"}
    arith = {"type": "f64", "value": "nan:arithmetic"}
    assert value_matches(canon, Value("f64", 0xFFF8000000000000))
    assert not value_matches(canon, Value("f64", 0x7FF8000000000001))
    assert value_matches(arith, Value("f64", 0x7FF8000000000001))
    assert not value_matches(arith, Value("f64", 0x7FF0000000000001))
    assert not value_matches(canon, Value("f32", 0x7FC00000))
