"""`wasmote new NAME`: a ready-to-build module project.

The project is a C source using the SDK header, a manifest granting exactly what the source
imports, a one-line build script and a README saying how to build, run and push it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wasmote.errors import UsageError
from wasmote.package.errors import ManifestError
from wasmote.package.manifest import Manifest, Version
from wasmote.paths import REPO_ROOT

SOURCE = "main.c"
MANIFEST = "wasmote.toml"
BUILD_SCRIPT = "build.sh"

_MAIN_C = """\
/* {name}: a wasmote module. Build: ./build.sh; README.md says how to try, push and run it. */
#include "wasmote.h"

/* A pure function: no host calls, so it can be tried on this computer (README.md). */
__attribute__((export_name("scale"))) int32_t scale(int32_t x) {{
    return x * 2;
}}

#ifndef HOST_TEST /* `wasmote exec` links no host functions: -DHOST_TEST leaves them out */
/* The entry (manifest: entry = "run"): what the device starts. */
__attribute__((export_name("run"))) int32_t run(void) {{
    wm_log_str("hello from {name}");
    return scale(21);
}}
#endif
"""

_MANIFEST = """\
# What the device grants this module ({format_doc}).
# An import the manifest does not grant is refused at install, naming it.
name = "{name}"
version = "0.1.0"
entry = "run"
capabilities = ["log"]

[limits]
memory = "64KiB"   # one wasm page: the SDK links with --initial-memory=65536
stack = 8192
fuel = 100000
"""

_BUILD_SH = """\
#!/bin/sh
# Compile main.c to {name}.wasm (stripped) and check + package it as {name}.wmp.
set -e
cd "$(dirname "$0")"
exec wasmote cc {source} -o {name}.wasm --manifest {manifest} --package {name}.wmp "$@"
"""

_README = """\
# {name}

A wasmote module. `main.c` is the code, `wasmote.toml` the manifest (what the device
grants it), `build.sh` the build.

```sh
./build.sh                                    # -> {name}.wasm and {name}.wmp
wasmote cc main.c -DHOST_TEST -o pure.wasm    # only the pure functions...
wasmote exec pure.wasm --invoke scale 21      # ...run on this computer: i32:42
wasmote push {name}.wmp -p /dev/ttyUSB0      # install on a board (-p PORT: a sim's)
wasmote run {name} -p /dev/ttyUSB0            # call its entry (run): i32:42
wasmote logs -f -p /dev/ttyUSB0               # a monitor: keep it open beside the rest
wasmote dev -p /dev/ttyUSB0                   # rebuild, re-push, restart on every save
```

Adding a host call (e.g. `wm_kv_set`) needs its capability (`"kv"`) in the manifest;
`./build.sh` says which one is missing. The functions: {sdk_header} (the SDK header)
and {api_doc}; `wasmote --help` lists the commands.
"""

_GITIGNORE = "*.wasm\n*.wmp\n"


@dataclass(frozen=True)
class Scaffold:
    name: str
    folder: Path
    files: tuple[Path, ...]

    @property
    def source(self) -> Path:
        return self.folder / SOURCE

    @property
    def manifest(self) -> Path:
        return self.folder / MANIFEST


def project_files(name: str) -> dict[str, str]:
    """File name -> content of a new project called `name`."""
    fmt = {"name": name, "source": SOURCE, "manifest": MANIFEST,
           # where this installation keeps them: the project folder has no docs/ of its own
           "sdk_header": str(REPO_ROOT / "sdk" / "wasmote.h"),
           "api_doc": str(REPO_ROOT / "docs" / "api.md"),
           "format_doc": str(REPO_ROOT / "docs" / "module-format.md")}
    return {SOURCE: _MAIN_C.format(**fmt), MANIFEST: _MANIFEST.format(**fmt),
            BUILD_SCRIPT: _BUILD_SH.format(**fmt), "README.md": _README.format(**fmt),
            ".gitignore": _GITIGNORE}


def new_project(name: str, parent: Path = Path("."), force: bool = False) -> Scaffold:
    """Create folder `parent/name` with a module project; never overwrites unless `force`."""
    try:
        Manifest(name=name, version=Version(0, 1, 0))  # the manifest's name rule
    except ManifestError as e:
        raise UsageError(str(e)) from None
    folder = parent / name
    files = project_files(name)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    clashes = [f for f in files if (folder / f).exists()]
    if clashes and not force:
        raise UsageError(f"{folder / clashes[0]} already exists (use --force to overwrite)")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fname, text in files.items():
        path = folder / fname
        path.write_text(text)
        if fname == BUILD_SCRIPT:
            path.chmod(0o755)
        written.append(path)
    return Scaffold(name, folder, tuple(written))
