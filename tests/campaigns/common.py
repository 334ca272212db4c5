"""Shared pieces of the reliability campaigns (docs/reliability.md): real modules to seed
and push, a figures table, and the command-line frame every campaign uses."""

from __future__ import annotations

import json
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wasmote.device.errors import LinkError
from wasmote.paths import BUILD_DIR, REPO_ROOT

SPEC_JSON_DIR = REPO_ROOT.parent / "shared" / "spec-tests" / "json"
CAMPAIGN_DIR = BUILD_DIR / "campaigns"

# Hand-written modules of the project: protocol, runtime and sandbox test modules, examples.
WAT_DIRS = ("tests/protocol/wat", "tests/runtime_unit/wat", "tests/sandbox/hostile",
            "examples/wat_counter")


class CampaignError(RuntimeError):
    """A campaign could not run (a tool is missing, a build failed)."""


def spec_modules() -> list[Path]:
    """Every binary module of the spec suite (valid, invalid and malformed ones)."""
    if not SPEC_JSON_DIR.is_dir():
        return []
    return sorted(SPEC_JSON_DIR.glob("*/*.wasm"))


def wat_modules(out: Path) -> list[Path]:
    """The project's .wat test modules compiled with wat2wasm (those it accepts)."""
    if shutil.which("wat2wasm") is None:
        return []
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for d in WAT_DIRS:
        for src in sorted((REPO_ROOT / d).glob("*.wat")):
            dst = out / f"{src.parent.name}-{src.stem}.wasm"
            proc = subprocess.run(["wat2wasm", "--enable-all", str(src), "-o", str(dst)],
                                  capture_output=True, check=False)
            if proc.returncode == 0:
                made.append(dst)
    return made


def c_modules() -> list[Path]:
    """Real C programs compiled to wasm (bench corpus and kernels, zig cc); [] when the
    compiler is unavailable."""
    try:
        from bench import corpus_build, interp
        mods = [m.path for m in corpus_build.build_all()]
        for kernel in ("crc32", "fir", "matmul", "quicksort", "sha256"):
            mods.append(interp.build_wasm(kernel))
        return mods
    except Exception as e:  # any build problem only shrinks the seed set
        print(f"note: C modules not built ({str(e).splitlines()[0] if str(e) else e})",
              file=sys.stderr)
        return []


@dataclass
class Table:
    """A plain-text figures table, printed by every campaign."""

    headers: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]
        line = "  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True))
        out = [line, "  ".join("-" * w for w in widths)]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
                for r in self.rows]
        return "\n".join(out)


def save_report(name: str, data: object) -> Path:
    """Figures as JSON under build/campaigns/ (for docs/reliability.md)."""
    CAMPAIGN_DIR.mkdir(parents=True, exist_ok=True)
    path = CAMPAIGN_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


@dataclass
class Stopwatch:
    start: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return time.monotonic() - self.start


def chunks(data: bytes, n: int) -> Iterator[bytes]:
    for i in range(0, len(data), n):
        yield data[i:i + n]


class TcpTransport:
    """The posix device's TCP line without pyserial, whose socket close sleeps 0.3 s "for
    quick reconnects": campaigns reconnect thousands of times. Same bytes, same device."""

    def __init__(self, url: str, open_timeout: float = 5.0) -> None:
        host, _, port = url.removeprefix("socket://").rpartition(":")
        self.description = url
        self.baud: int | None = None
        deadline = time.monotonic() + open_timeout
        while True:
            try:
                self._s = socket.create_connection((host, int(port)), timeout=open_timeout)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise LinkError(f"cannot open {url}: {e}") from e
                time.sleep(0.02)
        self._s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        try:
            self._s.settimeout(10.0)
            self._s.sendall(data)
        except OSError as e:
            raise LinkError(f"write to {self.description} failed: {e}") from e

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self._s], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = self._s.recv(65536)
        except OSError as e:
            raise LinkError(f"read from {self.description} failed: {e}") from e
        if not data:
            raise LinkError(f"{self.description}: the device closed the line")
        return data

    def close(self) -> None:
        self._s.close()
