"""The WASI layer and AssemblyScript imports of the device-side sandbox, through the C
harness: every pointer and length a hostile module passes is checked against its memory
(iovec arrays: count bounded, every entry checked, no sum that wraps), ungranted functions
answer ENOTCAPABLE, proc_exit ends the call with its status, output arrives in pieces
split at newlines, and the import tables equal the host's (wasi_imports.py)."""

from __future__ import annotations

from pathlib import Path

from tests.sandbox.sandbox_support import Device, package, wat
from wasmote.package.capabilities import HOST_FUNCTIONS
from wasmote.package.wasi_imports import AS_FUNCTIONS, WASI_FUNCTIONS

EBADF, EFAULT, EINVAL, ENOTSUP, ENOTCAPABLE = 8, 21, 28, 58, 76
WASI_CAPS = ["log", "time", "sleep", "random"]


def _random_word(start: int) -> int:
    """What the harness's fixed random source gives for the 4 bytes from its `start`th."""
    b = bytes((i * 151 + 7) & 0xFF for i in range(start, start + 4))
    return int.from_bytes(b, "little", signed=True)


def test_hostile_pointers_are_checked(harness: Path, tmp_path: Path) -> None:
    dev = Device(harness, tmp_path)
    dev.install(0, package(wat("wasi_pointers", tmp_path), "wp", WASI_CAPS,
                           args=("a", "b")))
    steps = [
        ("write_ok", "ok 0"), ("written", "ok 3"), ("write_stderr", "ok 0"),
        ("write_long", "ok 0"), ("written", "ok 1024"),  # one call writes at most 1 KiB
        ("iov_array_past_end", f"ok {EFAULT}"), ("iov_entry_past_end", f"ok {EFAULT}"),
        ("iov_entry_wraps", f"ok {EFAULT}"), ("iov_count_huge", f"ok {EINVAL}"),
        ("iov_count_1025", f"ok {EINVAL}"), ("nwritten_past_end", f"ok {EFAULT}"),
        ("write_fd_3", f"ok {EBADF}"), ("write_stdin", f"ok {EBADF}"),
        ("read_stdin", "ok 0"), ("read_past_end", f"ok {EFAULT}"),
        ("fdstat_stdout", "ok 0"), ("fdstat_past_end", f"ok {EFAULT}"),
        ("args_sizes", "ok 3"), ("args_into_end", f"ok {EFAULT}"),
        ("args_buf_past_end", f"ok {EFAULT}"), ("environ_past_end", "ok 0"),
        ("random_past_end", f"ok {EFAULT}"), ("random_empty_at_end", "ok 0"),
        ("random_fill", f"ok {_random_word(0)}"),
        ("poll_none", f"ok {EINVAL}"), ("poll_too_many", f"ok {EINVAL}"),
        ("poll_past_end", f"ok {EFAULT}"), ("clock_bad_id", f"ok {EINVAL}"),
        ("clock_cputime", f"ok {ENOTSUP}"), ("clock_past_end", f"ok {EFAULT}"),
        ("close_stdout", "ok 0"), ("write_ok", f"ok {EBADF}"),
        ("exit_7", "exit 7"),
    ]
    idx = [(dev.cmd(f"call 0 {call}"), want) for call, want in steps]
    abort = dev.cmd("call 0 abort_wild")
    run = dev.run()
    assert run.lines[0].startswith("ok"), run.lines[0]
    for i, want in idx:
        assert run.lines[i] == want, (dev.script[i], run.lines[i])
    assert run.lines[abort].startswith("trap abort: null at ") or \
        "(a string outside memory)" in run.lines[abort], run.lines[abort]
    assert run.lines[abort].endswith("]") and " [wasm " in run.lines[abort]
    # output: "hi" on stdout then stderr (the newline is the piece's end), then the 1 KiB of
    # zeros in pieces of 128 bytes that do not end a line
    assert run.outs[:2] == ["out wp 0 6869", "out wp 1 6869"]
    assert run.outs[2:] == ["out wp 2 " + "00" * 128] * 8


def test_output_takes_what_the_fuel_pays_for(harness: Path, tmp_path: Path) -> None:
    """Each piece of output is an event and a log ring entry (500 units, as a log line): one
    fd_write of 1 KiB of newlines takes only the pieces its slice's fuel pays for, a short
    write, instead of 1024 ring entries in one slice (issue 14, item 4)."""
    fuel = 20000
    dev = Device(harness, tmp_path)
    dev.install(0, package(wat("wasi_pointers", tmp_path), "wp", WASI_CAPS, fuel=fuel))
    call, written = dev.cmd("call 0 write_lines"), dev.cmd("call 0 written")
    run = dev.run()
    assert run.lines[call] == "ok 0", run.lines[call]
    n = int(run.lines[written].split()[1])
    cost = 4 + 500  # WM_WASI_FUEL_PER_OUT_BYTE + WM_WASI_FUEL_PER_PIECE
    assert 0 < n <= fuel // cost + 1, n  # all 1024 before
    assert run.outs == ["out wp 0 "] * n


def test_ungranted_wasi_functions_answer_not_capable(harness: Path, tmp_path: Path) -> None:
    dev = Device(harness, tmp_path)
    dev.install(0, package(wat("wasi_denied", tmp_path), "wd", []))
    calls = [dev.cmd(f"call 0 {c}") for c in ("write", "random", "clock", "poll", "yield")]
    run = dev.run()
    assert run.lines[0].startswith("ok"), run.lines[0]
    assert [run.lines[i] for i in calls] == [f"ok {ENOTCAPABLE}"] * 4 + ["ok 0"]


def test_import_tables_match_the_host(harness: Path, tmp_path: Path) -> None:
    letters = {"i32": "i", "i64": "I", "f32": "f", "f64": "F"}
    dev = Device(harness, tmp_path)
    i = dev.cmd("imports")
    device = {}
    for entry in dev.run().lines[i].split():
        name, sig, cap, stubbed = entry.split("/")
        device[name] = (sig, int(cap), stubbed == "1")
    host = {}
    for module, table, stub in (("wasmote", HOST_FUNCTIONS, False),
                                ("wasi_snapshot_preview1", WASI_FUNCTIONS, True),
                                ("env", AS_FUNCTIONS, False)):
        for f in table.values():
            sig = "".join(letters[t] for t in f.params) + ":" + \
                "".join(letters[t] for t in f.results)
            host[f"{module}.{f.name}"] = (sig, int(f.kind or 0), stub)
    assert device == host
    assert sum(k.startswith("wasi_snapshot_preview1.") for k in device) == 46
