"""What a gateway keeps on disk (its --state-dir), so that a restart resumes without the
broker: the deployments it accepted (the signed messages, checked again when read), the
packages they name (content-addressed), and each device's results.

    STATE/deployments/MODULE.msg     STATE/packages/SHA256.wmp
    STATE/results/DEVICE/MODULE.json
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection
from pathlib import Path

from wasmote.atomic_file import write_atomic
from wasmote.fleet.deployment import Deployment
from wasmote.fleet.errors import MessageRejected
from wasmote.fleet.reports import Result
from wasmote.fleet.signed import SignedMessage, verify
from wasmote.fleet.topics import is_device_id, is_module_name, is_sha256


class GatewayState:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        for sub in ("deployments", "packages", "results"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def deployments(self, trusted: Collection[bytes]) -> dict[str, tuple[Deployment, bytes]]:
        """The accepted deployments by module (a file that no longer verifies is skipped)."""
        out: dict[str, tuple[Deployment, bytes]] = {}
        for f in sorted((self.folder / "deployments").glob("*.msg")):
            try:
                raw = f.read_bytes()
                dep = Deployment.from_payload(verify(SignedMessage.from_bytes(raw), trusted))
            except (OSError, MessageRejected):
                continue
            if dep.module == f.stem:
                out[dep.module] = (dep, raw)
        return out

    def save_deployment(self, dep: Deployment, raw: bytes) -> None:
        with self._lock:
            write_atomic(self.folder / "deployments" / f"{dep.module}.msg", raw, 0o600)

    def package(self, sha256: str) -> bytes | None:
        if not is_sha256(sha256):
            return None
        try:
            data = (self.folder / "packages" / f"{sha256}.wmp").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == sha256 else None

    def save_package(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            write_atomic(self.folder / "packages" / f"{sha}.wmp", data, 0o600)
        return sha

    def result(self, device: str, module: str) -> Result | None:
        if not (is_device_id(device) and is_module_name(module)):
            return None
        try:
            return Result.from_bytes((self.folder / "results" / device /
                                      f"{module}.json").read_bytes())
        except (OSError, MessageRejected):
            return None

    def results(self, device: str) -> list[Result]:
        folder = self.folder / "results" / device
        if not is_device_id(device) or not folder.is_dir():
            return []
        out = [self.result(device, f.stem) for f in sorted(folder.glob("*.json"))]
        return [r for r in out if r is not None]

    def save_result(self, device: str, result: Result) -> None:
        folder = self.folder / "results" / device
        with self._lock:
            folder.mkdir(exist_ok=True)
            write_atomic(folder / f"{result.module}.json", result.to_bytes(), 0o600)
