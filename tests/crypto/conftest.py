"""Builds the posix crypto test driver (crypto_harness.c + firmware/src/core/crypto) with the
system C compiler, plain and with ASan+UBSan, and talks to it line by line."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CRYPTO_SRC = REPO_ROOT / "firmware" / "src" / "core" / "crypto"
RANDOM_SRC = REPO_ROOT / "firmware" / "src" / "core" / "random"  # the DRBG on top of it
HARNESS_SRC = Path(__file__).resolve().parent / "crypto_harness.c"
BUILD_DIR = REPO_ROOT / "build" / "crypto-test"

STRICT = ["-std=c99", "-pedantic-errors", "-Wall", "-Wextra", "-Werror", "-Wshadow",
          "-Wconversion", "-Wno-sign-conversion"]
VARIANTS: dict[str, list[str]] = {
    "plain": ["-O2"],
    "asan": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
             "-fno-omit-frame-pointer"],
}


def _compiler() -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (cc) on PATH: the crypto tests need one")
    return cc


def build_harness(variant: str) -> Path:
    """Compiles the driver once per source/flag combination; later runs reuse it."""
    cc = _compiler()
    sources = [*sorted(CRYPTO_SRC.glob("*.c")), *sorted(RANDOM_SRC.glob("*.c")), HARNESS_SRC]
    headers = sorted([*CRYPTO_SRC.glob("*.h"), *RANDOM_SRC.glob("*.h")])
    flags = STRICT + VARIANTS[variant]
    key = hashlib.sha256()
    for path in sources + headers:
        key.update(path.name.encode() + b"\0" + path.read_bytes())
    key.update(" ".join([cc, *flags]).encode())
    out_dir = BUILD_DIR / f"{variant}-{key.hexdigest()[:16]}"
    exe = out_dir / "crypto_harness"
    if exe.exists():
        return exe
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [cc, *flags, f"-I{CRYPTO_SRC}", f"-I{RANDOM_SRC}", *map(str, sources), "-o",
           str(exe) + ".tmp"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"building the crypto harness failed:\n{' '.join(cmd)}\n{proc.stderr}")
    Path(str(exe) + ".tmp").rename(exe)
    return exe


class Harness:
    """One running driver process; `ask` sends a command line and returns the answer line."""

    def __init__(self, exe: Path) -> None:
        self.proc = subprocess.Popen(
            [str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )

    def ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            code = self.proc.wait(timeout=10)
            raise AssertionError(f"crypto harness died (exit {code}) on: {line[:200]}")
        return answer.rstrip("\n")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=30)
        # Sanitizer reports at exit (e.g. leaks) show as a non-zero status.
        assert code == 0, f"crypto harness exited with {code}"


def hx(data: bytes) -> str:
    return data.hex() if data else "-"


@pytest.fixture(scope="session", params=sorted(VARIANTS))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    h = Harness(build_harness(request.param))
    yield h
    h.close()
