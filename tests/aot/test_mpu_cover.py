"""The MPU region arithmetic of the isolation (firmware/src/core/aot/arch/mpu_cover.c) on
the host, against its contract, for arbitrary blocks (hypothesis): the regions it returns
cover the block, reach nothing outside the window it was given, respect the count it was
given and are valid region images (size/alignment/subregion fields). On the device these
regions are all that separates a module's native code from the firmware."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.aot.mpu_cover_lib import U32, Regions, build, v7_cover


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    return build(tmp_path_factory.mktemp("mpu"))


def v7_spans(rbar: int, rasr: int, attr: int) -> list[tuple[int, int]]:
    """The address ranges one PMSAv7 region image enables, checked as a region image."""
    assert rasr & 1, "region enabled"
    k = ((rasr >> 1) & 0x1F) + 1
    assert 5 <= k <= 32
    s = 1 << k
    assert rbar % s == 0, "base aligned to the region size"
    srd = (rasr >> 8) & 0xFF
    assert rasr & ~(0xFF << 8 | 0x1F << 1 | 1) == attr, "attributes passed through unchanged"
    if k < 8:
        assert srd == 0, "no subregions below 256 bytes"
        return [(rbar, rbar + s)]
    assert srd != 0xFF, "not a region with every subregion off"
    sub = s >> 3
    return [(rbar + j * sub, rbar + (j + 1) * sub) for j in range(8) if not srd >> j & 1]


ATTR = (1 << 28) | (3 << 24) | (1 << 19) | (1 << 17) | (1 << 16)  # as iso_cortexm.c's data

addresses = st.integers(0, 0xFFFF_FFFF)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=addresses, size=st.integers(1, 1 << 24), slack_lo=st.integers(0, 1 << 20),
       slack_hi=st.integers(0, 1 << 20), mx=st.integers(1, 3))
def test_v7_cover_covers_the_block_and_nothing_outside_the_window(
        lib: ctypes.CDLL, base: int, size: int, slack_lo: int, slack_hi: int, mx: int) -> None:
    assume(base + size <= 1 << 32)
    lo = max(0, base - slack_lo)
    hi = min(1 << 32, base + size + slack_hi)
    regions = v7_cover(lib, base, size, lo, hi & 0xFFFF_FFFF, ATTR, mx)
    if regions is None:
        return  # refused: the caller traps ("the MPU cannot cover ..."), never maps more
    assert 1 <= len(regions) <= mx
    spans = sorted(sp for rbar, rasr in regions for sp in v7_spans(rbar, rasr, ATTR))
    assert spans[0][0] >= lo and spans[-1][1] <= hi, (spans, lo, hi)
    # contiguous and without gaps over the block
    at = base
    for a, b in spans:
        if a <= at < b:
            at = b
    assert at >= base + size, (spans, base, size)


@settings(max_examples=400, deadline=None)
@given(bytes_=st.integers(1, 1 << 31), regions=st.sampled_from([1, 2]),
       where=st.integers(0, 0xFFFF_FFFF))
def test_v7_layout_gives_blocks_the_cover_maps_exactly(lib: ctypes.CDLL, bytes_: int,
                                                        regions: int, where: int) -> None:
    align, rnd = U32(), U32()
    lib.wm_mpu_v7_layout(bytes_, regions, ctypes.byref(align), ctypes.byref(rnd))
    a, r = align.value, rnd.value
    assert a and r and a & (a - 1) == 0 and r & (r - 1) == 0
    size = -(-bytes_ // r) * r
    base = where & ~(a - 1)
    assume(base + size <= 1 << 32)
    # the block laid out so, with no slack at all, is covered with that many regions
    got = v7_cover(lib, base, size, base, (base + size) & 0xFFFF_FFFF, ATTR, regions)
    assert got is not None and len(got) <= regions, (bytes_, regions, a, r, hex(base))
    spans = sorted(sp for rbar, rasr in got for sp in v7_spans(rbar, rasr, ATTR))
    assert spans[0][0] == base and spans[-1][1] == base + size
    # the rounding wastes at most an eighth of the power of two above the block
    assert size - bytes_ < max(256, 1 << (bytes_ - 1).bit_length()) // 8 + 1 or size <= 256


@settings(max_examples=2000, deadline=None)
@given(base=addresses, size=st.integers(1, 1 << 24), slack=st.integers(0, 64))
def test_v8_cover_is_one_region_of_32_byte_granules(lib: ctypes.CDLL, base: int, size: int,
                                                    slack: int) -> None:
    assume(base + size + slack <= 1 << 32)
    lo, hi = base & ~31, min(1 << 32, ((base + size + 31) & ~31) + slack)
    out = Regions()
    n = ctypes.c_uint(99)
    rc = lib.wm_mpu_v8_cover(base, size, lo, hi & 0xFFFF_FFFF, 0b011, 0b010, 2, out,
                             ctypes.byref(n))
    assert rc == 0 and n.value == 1
    rbar, rlar = out[0][0], out[0][1]
    start, limit = rbar & ~31, (rlar & ~31) + 32  # RLAR holds the last granule's address
    assert rbar & 31 == 0b011 and rlar & 31 == 0b011  # attributes, and EN
    assert start <= base and limit >= base + size
    assert start >= lo and limit <= hi
    # outside the window it is refused, not widened
    if base & 31:
        assert lib.wm_mpu_v8_cover(base, size, base, 0, 0, 0, 1, out, ctypes.byref(n)) == -1


def test_a_block_that_needs_more_regions_than_allowed_is_refused(lib: ctypes.CDLL) -> None:
    # 0x1000..0x3100 inside exactly its own window: its end is on a 256-byte boundary only,
    # so the granule is 256 bytes, the regions 2 KiB each (one size for all): five of them
    assert v7_cover(lib, 0x1000, 0x2100, 0x1000, 0x3100, ATTR, 4) is None
    five = v7_cover(lib, 0x1000, 0x2100, 0x1000, 0x3100, ATTR, 5)
    assert five is not None and len(five) == 5
    # with room around it, coarser regions do: the block laid out in granules needs few
    assert v7_cover(lib, 0x1000, 0x2100, 0x0, 0x4000, ATTR, 1) is not None
    # a window that does not contain the block
    assert v7_cover(lib, 0x1000, 0x100, 0x1100, 0x2000, ATTR, 2) is None
