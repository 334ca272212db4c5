"""Host settings for the device commands (port, baud, timeout) from a config file.

Precedence, highest first: the command-line flag, the environment (`WASMOTE_PORT`,
`WASMOTE_BAUD`, `WASMOTE_TIMEOUT`), the config file, the built-in default. The config file
is the first of:

1. `$WASMOTE_CONFIG` (a path);
2. `wasmote-host.toml` in the current folder or the nearest folder above it (a project's,
   beside its `wasmote.toml` manifest);
3. `$XDG_CONFIG_HOME/wasmote/config.toml` (default `~/.config/wasmote/config.toml`).

```toml
[device]
port = "/dev/ttyUSB0"   # or "socket://127.0.0.1:4321", "4321", "auto"
baud = 921600
timeout = 3.0
```
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from wasmote.errors import UsageError

PROJECT_FILE = "wasmote-host.toml"
_KEYS = {"port": str, "baud": int, "timeout": float}


@dataclass(frozen=True)
class HostConfig:
    values: dict[str, str | int | float]
    path: Path | None


def config_path(cwd: Path | None = None) -> Path | None:
    env = os.environ.get("WASMOTE_CONFIG")
    if env:
        p = Path(env)
        if not p.is_file():
            raise UsageError(f"WASMOTE_CONFIG={env}: no such file")
        return p
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = xdg / "wasmote" / "config.toml"
    return user if user.is_file() else None


def load_config(cwd: Path | None = None) -> HostConfig:
    path = config_path(cwd)
    if path is None:
        return HostConfig({}, None)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not valid TOML: {e}") from e
    device = raw.get("device", {})
    if not isinstance(device, dict):
        raise UsageError(f"{path}: [device] must be a table")
    values: dict[str, str | int | float] = {}
    for key, val in device.items():
        want = _KEYS.get(key)
        if want is None:
            raise UsageError(f"{path}: [device] {key}: unknown setting (known: "
                             f"{', '.join(_KEYS)})")
        if want is float and isinstance(val, int) and not isinstance(val, bool):
            val = float(val)
        if not isinstance(val, (str, int, float)) or not isinstance(val, want) \
                or isinstance(val, bool):
            raise UsageError(f"{path}: [device] {key} must be a {want.__name__}")
        values[key] = val
    return HostConfig(values, path)
