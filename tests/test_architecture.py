"""The layering of docs/architecture.md, checked: which firmware core folder may include
which, that the core includes no port header and calls no malloc, and which host-tool
package may import which. A new edge fails here until the table (and the doc) say why."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "firmware" / "src" / "core"
PORTS = ROOT / "firmware" / "src" / "port"
PACKAGE = ROOT / "host_tools" / "wasmote"

# core folder -> the core folders it may include (docs/architecture.md)
CORE_MAY_USE: dict[str, set[str]] = {
    "base": set(),
    "crypto": {"base"},
    "runtime": {"base"},
    "random": {"base", "crypto"},
    "aot": {"base", "crypto", "runtime"},
    "store": {"base", "crypto"},
    "protocol": {"base", "crypto", "store"},
    "periph": {"base"},
    "sandbox": {"base", "crypto", "store", "protocol", "periph"},
    "supervisor": {"base", "crypto", "random", "store", "protocol", "sandbox", "aot"},
    "device": {"base", "protocol", "sandbox", "store", "supervisor", "aot", "random"},
}
# debt named in docs/architecture.md (issue 15): (folder, header it borrows)
CORE_EXCEPTIONS = {("periph", "sb_api.h")}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _core_headers() -> dict[str, set[str]]:
    where: dict[str, set[str]] = {}
    for h in CORE.rglob("*.h"):
        where.setdefault(h.name, set()).add(h.relative_to(CORE).parts[0])
    return where


def test_core_folders_include_only_what_their_layer_may_use() -> None:
    where = _core_headers()
    wrong = []
    for src in sorted(CORE.rglob("*.[ch]")):
        own = src.relative_to(CORE).parts[0]
        for inc in INCLUDE.findall(src.read_text(errors="replace")):
            name = Path(inc).name
            owners = where.get(name, set())
            if not owners or own in owners:
                continue
            for other in owners:
                if other not in CORE_MAY_USE[own] and (own, name) not in CORE_EXCEPTIONS:
                    wrong.append(f"{src.relative_to(ROOT)} includes {inc} ({other})")
    assert set(CORE_MAY_USE) == {p.name for p in CORE.iterdir() if p.is_dir()}
    assert not wrong, "\n".join(wrong)


def test_the_core_includes_no_port_header_and_calls_no_malloc() -> None:
    port_headers = {h.name for h in PORTS.rglob("*.h")} - _core_headers().keys()
    wrong = []
    for src in sorted(CORE.rglob("*.[ch]")):
        text = src.read_text(errors="replace")
        wrong += [f"{src.relative_to(ROOT)}: includes the port's {inc}"
                  for inc in INCLUDE.findall(text) if Path(inc).name in port_headers]
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
        if re.search(r"\b(malloc|calloc|realloc|free)\s*\(", code):
            wrong.append(f"{src.relative_to(ROOT)}: calls the heap")
    assert not wrong, "\n".join(wrong)


def _store_fields() -> set[str]:
    """The members of the wm_store struct (store.h), private to core/store."""
    text = (CORE / "store" / "store.h").read_text()
    body = re.search(r"typedef struct \{([^{}]*)\} wm_store;", text)
    assert body, "store.h: no wm_store struct"
    decls = re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S)
    return set(re.findall(r"(\w+)\s*(?:\[[^]]*\])?\s*;", decls)) | \
        set(re.findall(r"\(\s*\*\s*(\w+)\s*\)", decls))


def _store_field_reads(text: str, fields: set[str]) -> list[str]:
    """`x->field` / `x.field` where x names a wm_store (a variable, parameter or member
    declared `wm_store` in this text, or any named st/store) and field is private."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
    names = {"st", "store"} | set(re.findall(r"\bwm_store\s*\*?\s*(?:const\s+)?(\w+)", code))
    pattern = re.compile(rf"\b({'|'.join(sorted(names))})\s*(?:->|\.)\s*"
                         rf"({'|'.join(sorted(fields))})\b")
    return [m.group(0) for m in pattern.finditer(code)]


def test_no_layer_reads_the_stores_fields() -> None:
    fields = _store_fields()
    assert {"recs", "pending", "written"} <= fields
    planted = "void f(wm_protocol *p) { wm_store *s = p->cfg.store; (void)s->recs[0]; }"
    assert _store_field_reads(planted, fields) == ["s->recs"]
    assert _store_field_reads("int g(wm_store *st) { return st->pending; }", fields)
    wrong = []
    for src in sorted((CORE.parent).rglob("*.[ch]")):
        if src.relative_to(CORE.parent).parts[:2] == ("core", "store"):
            continue
        wrong += [f"{src.relative_to(ROOT)}: {hit} (ask store.h's functions)"
                  for hit in _store_field_reads(src.read_text(errors="replace"), fields)]
    assert not wrong, "\n".join(wrong)


# host-tool package -> the wasmote packages it may import (shared leaves are free)
PY_MAY_USE: dict[str, set[str]] = {
    "wasm": set(),
    "package": {"wasm"},
    "debug": {"wasm", "package"},
    "sdk": {"wasm", "package"},
    "device": {"wasm", "package"},
    "aot": {"wasm", "package"},
    "runtime": {"wasm", "package", "aot", "debug", "device"},
    "fleet": {"package", "device"},
    "cli": {"wasm", "package", "debug", "sdk", "device", "aot", "runtime", "fleet"},
}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 0 and node.module.split(".")[0] in ("wasmote", "tests", "bench"):
                out.add(".".join(node.module.split(".")[:2]))
            elif node.level == 2:
                out.add("wasmote." + node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out |= {".".join(a.name.split(".")[:2]) for a in node.names
                    if a.name.split(".")[0] in ("wasmote", "tests", "bench")}
    return out


def test_host_packages_import_only_what_their_layer_may_use() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert set(PY_MAY_USE) == packages
    wrong = []
    for pkg in sorted(packages):
        for src in sorted((PACKAGE / pkg).rglob("*.py")):
            for mod in _imports(src):
                top = mod.split(".")[1] if mod.startswith("wasmote.") else mod
                if mod.split(".")[0] in ("tests", "bench"):
                    wrong.append(f"{src.relative_to(ROOT)} imports {mod} (not product)")
                elif top in packages and top != pkg and top not in PY_MAY_USE[pkg]:
                    wrong.append(f"{src.relative_to(ROOT)} imports {mod}")
    assert not wrong, "\n".join(wrong)
