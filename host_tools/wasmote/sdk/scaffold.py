"""`wasmote new NAME [--lang c|zig-wasi|assemblyscript]`: a ready-to-build module project.

Each language gets a source, a manifest granting exactly what the source uses, a one-line
build script and a README saying how to build it, run it on this computer (`wasmote exec`,
the device's own runtime and host API) and push it:
- c: C against the SDK header (sdk/wasmote.h), built by `wasmote cc` (zig's clang);
- zig-wasi: a C program with main() and libc (printf, malloc) against WASI, built by
  `wasmote cc --main`;
- assemblyscript: AssemblyScript, built by `wasmote asc` (npm's compiler).
`--template i2c-sensor` (C only) makes a sensor driver instead (driver_template.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wasmote.errors import UsageError
from wasmote.package.errors import ManifestError
from wasmote.package.manifest import Manifest, Version
from wasmote.paths import REPO_ROOT
from wasmote.sdk.driver_template import i2c_sensor_files

MANIFEST = "wasmote.toml"
BUILD_SCRIPT = "build.sh"
LANGS = ("c", "zig-wasi", "assemblyscript")

_C_MAIN = """\
/* {name}: a wasmote module. Build: ./build.sh; README.md says how to try, push and run it. */
#include "wasmote.h"

/* A pure function: no host calls. */
__attribute__((export_name("scale"))) int32_t scale(int32_t x) {{
    return x * 2;
}}

/* The entry (manifest: entry = "run"): what the device starts. */
__attribute__((export_name("run"))) int32_t run(void) {{
    wm_log_str("hello from {name}");
    return scale(21);
}}
"""

_C_MANIFEST = """\
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

_C_BUILD = """\
#!/bin/sh
# Compile main.c to {name}.wasm (stripped) and check + package it as {name}.wmp; the
# unstripped module stays beside it as {name}.debug.wasm (trap reports name lines with it).
set -e
cd "$(dirname "$0")"
exec wasmote cc main.c -o {name}.wasm --manifest wasmote.toml --package {name}.wmp "$@"
"""

_C_README = """\
# {name}

A wasmote module. `main.c` is the code, `wasmote.toml` the manifest (what the device
grants it), `build.sh` the build.

```sh
./build.sh                                    # -> {name}.wasm and {name}.wmp
wasmote exec {name}.wmp                       # its entry on this computer: "hello from {name}"
wasmote exec {name}.wmp --invoke scale 21     # one export: i32:42
wasmote push {name}.wmp -p /dev/ttyUSB0       # install on a board (-p PORT: a sim's)
wasmote run {name} -p /dev/ttyUSB0            # call its entry (run): i32:42
wasmote logs -f -p /dev/ttyUSB0               # a monitor: keep it open beside the rest
wasmote dev -p /dev/ttyUSB0                   # rebuild, re-push, restart on every save
```

Adding a host call (e.g. `wm_kv_set`) needs its capability (`"kv"`) in the manifest;
`./build.sh` says which one is missing. The functions: {sdk_header} (the SDK header)
and {api_doc}; `wasmote --help` lists the commands.
"""

_WASI_MAIN = """\
/* {name}: a C program for wasmote with libc (printf, malloc, time) over WASI. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{{
    printf("hello from {name}, %d argument(s)\\n", argc - 1);
    double *v = malloc(4 * sizeof *v);
    if (v == NULL) return 1;
    for (int i = 0; i < 4; i++) v[i] = i * 0.5;
    printf("v[3] = %.2f, uptime %ld s\\n", v[3], (long)time(NULL));
    free(v);
    return argc > 1 ? atoi(argv[1]) : 0;
}}
"""

_WASI_MANIFEST = """\
# What the device grants this program ({format_doc}; WASI: {wasi_doc}).
# stdout and stderr go to its log ("log"), time() needs "time". A WASI function it is not
# granted answers ENOTCAPABLE.
name = "{name}"
version = "0.1.0"
capabilities = ["log", "time"]
args = []          # argv[1..] (argv[0] is the name)

[env]              # its environment, e.g. LEVEL = "2"

[limits]
memory = "256KiB"  # 2 pages to start (build.sh), the rest for malloc
stack = 8192
fuel = 100000
"""

_WASI_BUILD = """\
#!/bin/sh
# Compile main.c against wasi-libc into {name}.wasm (a command: main) and package it as
# {name}.wmp; {name}.debug.wasm keeps its names and lines for trap reports.
set -e
cd "$(dirname "$0")"
exec wasmote cc main.c --main --memory 131072 --stack 16384 -o {name}.wasm \\
    --manifest wasmote.toml --package {name}.wmp "$@"
"""

_WASI_README = """\
# {name}

A C program with libc for wasmote, over WASI ({wasi_doc} says what a device provides).

```sh
./build.sh                                    # -> {name}.wasm and {name}.wmp
wasmote exec {name}.wmp                       # on this computer, as on the device
wasmote push {name}.wmp -p /dev/ttyUSB0       # install on a board (-p PORT: a sim's)
wasmote start {name} -f -p /dev/ttyUSB0       # run it there: its output, its exit status
```

Its stdout and stderr are its log on a device; `args`/`[env]` in the manifest are its
arguments and environment. There is no file system.
"""

_AS_MAIN = """\
// {name}: an AssemblyScript module for wasmote. Build: ./build.sh

export function scale(x: i32): i32 {{
  return x * 2;
}}

// The entry (manifest: entry = "run"): what the device starts.
export function run(): i32 {{
  trace("hello from {name}");
  return scale(21);
}}
"""

_AS_MANIFEST = """\
# What the device grants this module ({format_doc}): trace() needs "log";
# Math.random() needs "random".
name = "{name}"
version = "0.1.0"
entry = "run"
capabilities = ["log"]

[limits]
memory = "64KiB"
stack = 8192
fuel = 100000
"""

_AS_BUILD = """\
#!/bin/sh
# Compile assembly/index.ts to {name}.wasm (asc from npm, installed by the bootstrap) and
# package it as {name}.wmp; {name}.debug.wasm keeps its names for trap reports.
set -e
cd "$(dirname "$0")"
exec wasmote asc assembly/index.ts -o {name}.wasm --manifest wasmote.toml \\
    --package {name}.wmp "$@"
"""

_AS_README = """\
# {name}

An AssemblyScript module for wasmote. `assembly/index.ts` is the code, `wasmote.toml` the
manifest, `build.sh` the build (AssemblyScript's compiler needs Node.js >= 20).

```sh
./build.sh                                    # -> {name}.wasm and {name}.wmp
wasmote exec {name}.wmp                       # its entry here: trace: hello from {name}
wasmote exec {name}.wmp --invoke scale 21     # i32:42
wasmote push {name}.wmp -p /dev/ttyUSB0       # install on a board (-p PORT: a sim's)
```

`assert`/`abort` become a trap that says the message, file and line; `--runtime
incremental` in build.sh gives a garbage collector (the default, stub, never frees).
"""

_GITIGNORE = "*.wasm\n*.wmp\n"

_FILES: dict[str, dict[str, str]] = {
    "c": {"main.c": _C_MAIN, MANIFEST: _C_MANIFEST, BUILD_SCRIPT: _C_BUILD,
          "README.md": _C_README},
    "zig-wasi": {"main.c": _WASI_MAIN, MANIFEST: _WASI_MANIFEST, BUILD_SCRIPT: _WASI_BUILD,
                 "README.md": _WASI_README},
    "assemblyscript": {"assembly/index.ts": _AS_MAIN, MANIFEST: _AS_MANIFEST,
                       BUILD_SCRIPT: _AS_BUILD, "README.md": _AS_README},
}
SOURCES = {"c": "main.c", "zig-wasi": "main.c", "assemblyscript": "assembly/index.ts"}


@dataclass(frozen=True)
class Scaffold:
    name: str
    folder: Path
    files: tuple[Path, ...]
    lang: str = "c"

    @property
    def source(self) -> Path:
        return self.folder / SOURCES[self.lang]

    @property
    def manifest(self) -> Path:
        return self.folder / MANIFEST


TEMPLATES = ("module", "i2c-sensor")


def project_files(name: str, lang: str = "c", template: str = "module") -> dict[str, str]:
    """File name -> content of a new project called `name` in `lang`."""
    if lang not in _FILES:
        raise UsageError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r} (known: {', '.join(TEMPLATES)})")
    if template != "module" and lang != "c":
        raise UsageError(f"the {template} template is in C: use --lang c")
    fmt = {"name": name,
           # where this installation keeps them: the project folder has no docs/ of its own
           "sdk_header": str(REPO_ROOT / "sdk" / "wasmote.h"),
           "api_doc": str(REPO_ROOT / "docs" / "api.md"),
           "format_doc": str(REPO_ROOT / "docs" / "module-format.md"),
           "wasi_doc": str(REPO_ROOT / "docs" / "wasi.md")}
    files = {f: text.format(**fmt) for f, text in _FILES[lang].items()}
    files[".gitignore"] = _GITIGNORE
    if template == "i2c-sensor":
        files.update(i2c_sensor_files(name, fmt["api_doc"], str(REPO_ROOT / "boards")))
    return files


def new_project(name: str, parent: Path = Path("."), force: bool = False,
                lang: str = "c", template: str = "module") -> Scaffold:
    """Create folder `parent/name` with a module project; never overwrites unless `force`."""
    try:
        Manifest(name=name, version=Version(0, 1, 0))  # the manifest's name rule
    except ManifestError as e:
        raise UsageError(str(e)) from None
    folder = parent / name
    files = project_files(name, lang, template)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    clashes = [f for f in files if (folder / f).exists()]
    if clashes and not force:
        raise UsageError(f"{folder / clashes[0]} already exists (use --force to overwrite)")
    written = []
    for fname, text in files.items():
        path = folder / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if fname == BUILD_SCRIPT:
            path.chmod(0o755)
        written.append(path)
    return Scaffold(name, folder, tuple(written), lang)
