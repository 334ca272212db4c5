"""GF(2^255-19) and scalar-mod-L arithmetic of the C core against Python integers."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from .conftest import Harness
from .ed25519_model import L, P

# 255-bit inputs (what frombytes reads), biased to the values where carries go wrong.
SPECIAL = [0, 1, 2, 18, 19, 20, P - 2, P - 1, P, P + 1, P + 18, 2**255 - 1, 2**254,
           2**26 - 1, 2**26, 2**52, (2**255 - 1) // 3, 2**255 - 2**26]
fe_ints = st.one_of(st.sampled_from(SPECIAL), st.integers(0, 2**255 - 1))


def le(n: int, size: int = 32) -> str:
    return n.to_bytes(size, "little").hex()


def fe(h: Harness, op: str, a: int, b: int = 0) -> int:
    return int.from_bytes(bytes.fromhex(h.ask(f"fe {op} {le(a)} {le(b)}")), "little")


@settings(max_examples=200, deadline=None)
@given(a=fe_ints, b=fe_ints)
@example(a=2**255 - 1, b=2**255 - 1)
@example(a=0, b=P - 1)
def test_field_ops_match_python(harness, a, b):
    assert fe(harness, "add", a, b) == (a + b) % P
    assert fe(harness, "sub", a, b) == (a - b) % P
    assert fe(harness, "mul", a, b) == (a * b) % P
    assert fe(harness, "sq", a) == (a * a) % P
    assert fe(harness, "neg", a) == (-a) % P


@settings(max_examples=30, deadline=None)
@given(a=fe_ints)
def test_field_inverse_and_sqrt_exponent(harness, a):
    assert fe(harness, "inv", a) == pow(a, P - 2, P)
    assert fe(harness, "pow22523", a) == pow(a, (P - 5) // 8, P)


def chain_model(a: int, b: int, ops: str) -> int:
    x = a % P
    b %= P
    for op in ops:
        if op == "m":
            x = x * b % P
            b = b * x % P
        elif op == "s":
            x = x * x % P
        elif op == "a":
            x = (x + b) % P
        elif op == "b":
            x = (x - b) % P
        elif op == "r":
            x = (b - x) % P
        elif op == "n":
            x = -x % P
        elif op == "i":
            x = pow(x, P - 2, P)
    return x


@settings(max_examples=200, deadline=None)
@given(a=fe_ints, b=fe_ints, ops=st.text(alphabet="msabrn", min_size=1, max_size=60))
@example(a=2**255 - 1, b=2**255 - 1, ops="aaaamsbrbrnmsmsaaaa")
@example(a=P - 1, b=P - 1, ops="ssssssssmmmmmmmmaaaa")
def test_field_op_chains_match_python(harness, a, b, ops):
    """Feeds outputs back as inputs, so every operation sees loosely carried limbs."""
    ops_with_inverse = ops if len(ops) % 7 else ops + "i"
    answer = harness.ask(f"fechain {le(a)} {le(b)} {ops_with_inverse}")
    assert int.from_bytes(bytes.fromhex(answer), "little") == chain_model(a, b, ops_with_inverse)


@settings(max_examples=100, deadline=None)
@given(a=st.one_of(st.sampled_from(SPECIAL), st.integers(0, 2**255 - 1)),
       top=st.booleans())
def test_frombytes_flags_noncanonical(harness, a, top):
    raw = a | (int(top) << 255)  # bit 255 is ignored by the field decoder
    canon, value = harness.ask(f"fecanon {le(raw)}").split()
    assert canon == ("1" if a < P else "0")
    assert int.from_bytes(bytes.fromhex(value), "little") == a % P


@settings(max_examples=150, deadline=None)
@given(n=st.one_of(st.integers(0, 2**512 - 1),
                   st.sampled_from([0, L - 1, L, L + 1, 2 * L, 2**512 - 1, L * L, 2**253])))
def test_scalar_reduce_matches_python(harness, n):
    out = bytes.fromhex(harness.ask(f"screduce {le(n, 64)}"))
    assert int.from_bytes(out, "little") == n % L


@settings(max_examples=100, deadline=None)
@given(s=st.one_of(st.integers(0, 2**256 - 1),
                   st.sampled_from([0, L - 1, L, L + 1, 2**252, 2**253, 2**256 - 1])))
def test_scalar_canonical_is_less_than_l(harness, s):
    assert harness.ask(f"sccanon {le(s)}") == ("1" if s < L else "0")
