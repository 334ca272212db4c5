"""The device's config area (kv) as the firmware lays it out: what a key-value record costs
in flash, the share the firmware keeps for its own records, and the pool of module data a
board's `kv_size` gives.

The firmware decides (firmware/src/core/sandbox/kv.h, sandbox/pins.h,
supervisor/supervisor.h); this mirrors it for the host's checks and explanations, and
tests/supervisor/test_supervisor_config_area.py checks the two agree. docs/reliability.md
shows the arithmetic.
"""

from __future__ import annotations

RECORD_OVERHEAD = 16   # slot 0 (lengths) and the commit slot (CRC)
ALIGN = 8              # namespace + key + value are padded to this
BANK_HEADER = 8        # magic and sequence at the start of a bank
BANK_MAX = 32 * 1024   # largest bank the firmware mounts (kv.h WM_KV_BANK_MAX)
RECORD_MAX = RECORD_OVERHEAD + 32 + 32 + 256  # longest namespace, key and value

# The firmware's records, each namespace held to its share (supervisor.h WM_SUP_KV_*).
KEYS_BYTES = RECORD_MAX                # "#keys": the key list
PIN_RECORD_MAX = 64                    # "#pins": pin + installed version (12 bytes), any name
PINS_MAX = 32
CRASH_RECORD = 64                      # "#crash": a 4-byte count under any store name
STORE_MAX_RECORDS = 24                 # store.h WM_STORE_MAX_RECORDS
OTHER_BYTES = 2 * RECORD_MAX           # the device id, and one record spare
RESERVE = KEYS_BYTES + PINS_MAX * PIN_RECORD_MAX + STORE_MAX_RECORDS * CRASH_RECORD + \
    OTHER_BYTES


def record_bytes(ns_len: int, key_len: int, value_len: int) -> int:
    """Flash bytes of one record (a delete costs `record_bytes(ns, key, 0)`)."""
    return RECORD_OVERHEAD + -(-(ns_len + key_len + value_len) // ALIGN) * ALIGN


def capacity(kv_size: int, sector: int) -> int:
    """The most live bytes the config area holds: one bank (half the sectors) less its
    header; the other bank is where a compaction copies to."""
    return (kv_size // sector // 2) * sector - BANK_HEADER


def module_pool(kv_size: int, sector: int) -> int:
    """Bytes all modules' kv data together may take (what their `limits.kv` may promise):
    half of what the firmware's reserve leaves; the other half stays free after every
    compaction."""
    cap = capacity(kv_size, sector)
    return (cap - RESERVE) // 2 if cap > RESERVE else 0


# What the flash must last (supervisor.h WM_SUP_KV_ENDURANCE, WM_SUP_KV_LIFETIME_H).
ENDURANCE = 10_000     # erase cycles per sector
LIFETIME_H = 87_660    # ten years


def write_capacity(kv_size: int, sector: int, endurance: int = ENDURANCE,
                   lifetime_h: int = LIFETIME_H) -> int:
    """Bytes of kv records per hour all modules' write budgets (limits.kv_write) may add up
    to so that no sector is erased more than `endurance` times in `lifetime_h` hours.

    After a compaction at least `headroom` bytes are free (everything but the reserve and
    the pool, both enforced); the next compaction comes when a record no longer fits, so
    more than headroom - RECORD_MAX bytes are written between two; each compaction erases
    every sector of the other bank, so a sector is erased once every two compactions."""
    cap = capacity(kv_size, sector)
    if cap <= RESERVE or lifetime_h <= 0:
        return 0
    headroom = cap - RESERVE - module_pool(kv_size, sector)
    if headroom <= RECORD_MAX:
        return 0
    return 2 * (headroom - RECORD_MAX) * endurance // lifetime_h


def geometry_problem(kv_size: int, sector: int) -> str | None:
    """Why the firmware cannot mount a config area of `kv_size` bytes in `sector`-byte
    sectors, or None. (One too small for the reserve still works: its modules get no kv
    data, module_pool() is 0, and the firmware's records use what there is.)"""
    bank = kv_size // sector // 2 * sector
    if bank > BANK_MAX:
        return (f"kv_size {kv_size} makes banks of {bank} bytes; the firmware mounts at most "
                f"{BANK_MAX} (two banks of whole sectors)")
    return None
