"""The loop range checks of the AOT prelude (firmware/src/core/aot/wm_aot_prelude.h) on the
host, against the exact rule they stand for (hypothesis and the edges): before a counted
loop's fast copy runs without bounds checks (host_tools/wasmote/aot/loops.py), a base local
that is s in iteration 0 (wrapped) and moves by t must, in every one of n iterations, stay
an i32 and keep base + [cmin, end) inside the memory. wm_range_ok (64-bit targets) must say
exactly that; wm_range_ok32 (32-bit targets, in 32-bit arithmetic) must never say yes when
the rule says no, and must agree with it on what MCU code meets (memories up to 2^29 bytes,
bases moving less than 2^29)."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.aot.conftest import prelude_lib

WRAPPER = """
int range_ok64(u32 s, s32 t, u64 n, s32 cmin, s32 end, u32 mem)
{ return wm_range_ok((s64)(s32)s, t, n, cmin, end, mem); }
int range_ok32(u32 s, s32 t, u64 n, s32 cmin, s32 end, u32 mem)
{ return wm_range_ok32(s, t, n, cmin, end, mem); }
int grp_okm32(u32 l, s32 cmin, s32 end, u32 msz)
{ return wm_grp_okm32(l, cmin, (u32)(end - cmin), msz); }
"""
LIMIT = 1 << 30          # loops.py and checks.py keep |t|, |cmin|, |end| below this
SMALL = 1 << 29          # wm_range_ok32's own bound on the memory and the distance


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    dll = prelude_lib(tmp_path_factory.mktemp("range"), "range", WRAPPER)
    args = [ctypes.c_uint32, ctypes.c_int32, ctypes.c_uint64, ctypes.c_int32, ctypes.c_int32,
            ctypes.c_uint32]
    for f in (dll.range_ok64, dll.range_ok32):
        f.argtypes = args
        f.restype = ctypes.c_int
    dll.grp_okm32.argtypes = [ctypes.c_uint32, ctypes.c_int32, ctypes.c_int32, ctypes.c_uint32]
    dll.grp_okm32.restype = ctypes.c_int
    return dll


def exact(s: int, t: int, n: int, cmin: int, end: int, mem: int) -> bool:
    """The rule in Python integers: base_i = (s32)s + i * t for i in [0, n)."""
    b0 = s - (1 << 32) if s >= 1 << 31 else s
    lo, hi = min(b0, b0 + (n - 1) * t), max(b0, b0 + (n - 1) * t)
    return -(1 << 31) <= lo and hi < 1 << 31 and lo + cmin >= 0 and hi + end <= mem


def check(lib: ctypes.CDLL, s: int, t: int, n: int, cmin: int, end: int, mem: int) -> None:
    want = exact(s, t, n, cmin, end, mem)
    assert bool(lib.range_ok64(s, t, n, cmin, end, mem)) == want, (s, t, n, cmin, end, mem)
    got = bool(lib.range_ok32(s, t, n, cmin, end, mem))
    assert not got or want, f"32-bit check accepts an out-of-range loop {(s, t, n, cmin, end, mem)}"
    if mem <= SMALL and (n - 1) * abs(t) < SMALL:
        assert got == want, (s, t, n, cmin, end, mem)


u32 = st.integers(0, (1 << 32) - 1)
small_mem = st.integers(0, SMALL)
step = st.integers(-(LIMIT - 1), LIMIT - 1)
const = st.integers(-(LIMIT - 1), LIMIT - 2)


@settings(max_examples=400, deadline=None)
@given(s=u32, t=step, n=st.integers(1, 1 << 32), c=const, span=st.integers(1, 64),
       mem=st.one_of(small_mem, u32))
def test_random_loops(lib: ctypes.CDLL, s: int, t: int, n: int, c: int, span: int,
                      mem: int) -> None:
    check(lib, s, t, n, c, min(c + span, LIMIT - 1), mem)


@settings(max_examples=400, deadline=None)
@given(mem=st.sampled_from([65536, 4 * 65536, SMALL]),
       t=st.sampled_from([-8, -4, -1, 0, 1, 2, 4, 80]), n=st.integers(1, 70000),
       c=st.integers(-64, 64), span=st.integers(1, 8),
       near=st.integers(-300, 300), at_end=st.booleans())
def test_loops_at_the_memory_edges(lib: ctypes.CDLL, mem: int, t: int, n: int, c: int,
                                   span: int, near: int, at_end: bool) -> None:
    """Bases that put the first or last access a few bytes around 0 or the memory's end."""
    reach = (n - 1) * t
    end = c + span
    first = near - c - min(0, reach)                     # lowest address at `near`
    last = mem + near - end - max(0, reach)              # highest address end at mem + near
    check(lib, (last if at_end else first) & 0xFFFFFFFF, t, n, c, end, mem)


def test_wrapping_and_sign_edges(lib: ctypes.CDLL) -> None:
    for s in (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC, 0x7FFFFFF0, 0xC0000000,
              0x40000000, 0x20000000, 0xE0000000):
        for t in (-(LIMIT - 1), -4, -1, 0, 1, 4, LIMIT - 1):
            for n in (1, 2, 3, 1 << 16, (1 << 29) + 1, 1 << 32):
                for cmin, end in ((0, 4), (-(LIMIT - 1), -(LIMIT - 1) + 4), (LIMIT - 9, LIMIT - 1),
                                  (-4, 4), (65532, 65536)):
                    for mem in (0, 65536, SMALL, SMALL + 1, 1 << 31, 0xFFFFFFFF):
                        check(lib, s, t, n, cmin, end, mem)


# The combined check of one base (checks.py, guards.py) in its one-compare form (GRP_OKM),
# emitted when span = end - cmin is within the memory every entry guarantees (msz >= span)
# and 2^30: it must never accept l + [cmin, end) outside [0, msz) (l read as s32, exact
# integers), and must accept all of it within the first 2^30 bytes.
def check_grp(lib: ctypes.CDLL, lv: int, cmin: int, span: int, msz: int) -> None:
    base = lv - (1 << 32) if lv >= 1 << 31 else lv
    want = base + cmin >= 0 and base + cmin + span <= msz
    got = bool(lib.grp_okm32(lv, cmin, cmin + span, msz))
    assert not got or want, f"GRP_OKM accepts an access outside {(lv, cmin, span, msz)}"
    if base + cmin + span <= min(msz, 1 << 30):
        assert got == want, (lv, cmin, span, msz)


@settings(max_examples=300, deadline=None)
@given(lv=u32, cmin=st.integers(-(LIMIT - 1), LIMIT - 1), span=st.integers(1, LIMIT),
       extra=st.one_of(st.integers(0, 1 << 20), u32), near=st.integers(-70, 70),
       at_end=st.booleans())
def test_the_one_compare_group_check(lib: ctypes.CDLL, lv: int, cmin: int, span: int,
                                     extra: int, near: int, at_end: bool) -> None:
    msz = min(span + extra, (1 << 32) - 1)  # msz >= span: what MEM_MIN guarantees
    check_grp(lib, lv, cmin, span, msz)
    # bases that put the group a few bytes around 0 or the memory's end
    edge = (msz - span - cmin + near) if at_end else (near - cmin)
    check_grp(lib, edge & 0xFFFFFFFF, cmin, span, msz)


def test_the_one_compare_group_check_at_the_edges(lib: ctypes.CDLL) -> None:
    for span in (1, 4, 256, 65536, LIMIT):
        for cmin in (0, -4, 65532, -(LIMIT - 1), LIMIT - 1):
            for msz in {span, span + 1, 65536, LIMIT, LIMIT + 1, 1 << 31, (1 << 32) - 1}:
                if msz < span:
                    continue
                for x in (-(1 << 31) - 4, -(1 << 31), -span - 1, -2, -1, 0, 1,
                          msz - span - 1, msz - span, msz - span + 1, LIMIT - span,
                          LIMIT - span + 1, (1 << 31) - 1, (1 << 31) + 3):
                    check_grp(lib, (x - cmin) & 0xFFFFFFFF, cmin, span, msz)
