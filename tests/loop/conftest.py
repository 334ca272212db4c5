"""Fixtures for the everyday-loop tests: a private relay folder per test (so no relay of
another test or engineer is reused), and every relay started in it gone afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, Queue
from typing import IO

import pytest

from tests.protocol.conftest import client, device, device_exe  # noqa: F401 (fixtures)
from wasmote.device.relay import relay_pids


@pytest.fixture
def relay_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short: a unix socket's path must fit in 108 bytes.
    path = Path(tempfile.mkdtemp(prefix="wmr"))
    monkeypatch.setenv("WASMOTE_RUNTIME_DIR", str(path))
    monkeypatch.setenv("WASMOTE_RELAY_IDLE", "0.5")
    monkeypatch.delenv("WASMOTE_RELAY", raising=False)
    try:
        yield path
    finally:
        for pid in relay_pids(path):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(path, ignore_errors=True)


def wait_gone(pid: int, timeout: float = 30.0) -> bool:
    """Whether process `pid` (perhaps not our child) has ended within `timeout` (an upper
    bound): gone, or a zombie whose every thread has ended. A killed relay's main thread is
    a zombie while its line-reader thread is still exiting with the listening socket open
    (a client connecting then is reset before the relay's greeting: open_line starts a new
    relay, test_relay_dying_one_is_replaced_not_reported)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return True
        if stat.rsplit(")", 1)[-1].split()[0] == "Z" and tasks == [str(pid)]:
            return True
        time.sleep(0.05)
    return False


class LineReader:
    """Lines of a child's stream, read by a thread, so a test can wait for one."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._seen = 0
        self._q: Queue[str | None] = Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def wait_for(self, needle: str, timeout: float = 60.0) -> str:
        """The next line containing `needle` after the last one returned; fails at the
        (generous) timeout or EOF."""
        while self._seen < len(self.lines):
            self._seen += 1
            if needle in self.lines[self._seen - 1]:
                return self.lines[self._seen - 1]
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self._q.get(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise AssertionError(f"no line with {needle!r} within {timeout} s; got "
                                     f"{self.lines[-10:]}") from None
            if got is None:
                raise AssertionError(f"stream ended without {needle!r}; got {self.lines[-10:]}")
            self.lines.append(got)
            self._seen = len(self.lines)
            if needle in got:
                return got


@contextmanager
def command_running(args: list[str], ready: str) -> Iterator[LineReader]:
    """A long-running command (a monitor), once it said `ready` on stderr; its stdout
    lines; it must still run at the end, then it is ended."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        LineReader(proc.stderr).wait_for(ready)
        yield LineReader(proc.stdout)
        assert proc.poll() is None, "it ended early"
    finally:
        proc.terminate()
        proc.wait(30)
