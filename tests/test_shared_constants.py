"""Every constant the host tools and the firmware share, compared at its C source: one
generic reader of the C headers (#define, enum members, byte-array and string constants)
and one table of (C file, C name, Python value). Each row is also checked to fail when its
C value is changed (a planted mismatch), so no row can pass vacuously.

Constants already compared elsewhere are not repeated here: wire messages, statuses,
features, roles and auth limits (tests/protocol/test_protocol_constants.py), host-function
error codes and API limits (tests/package/test_package_sdk.py), AOT architecture codes
(tests/aot/test_aot_arch_codes.py) and fuel weights (tests/runtime_unit, through the built
runtime)."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from wasmote.aot import blob, translate
from wasmote.cli import device_cmds
from wasmote.device import protocol
from wasmote.package import capabilities, container, manifest
from wasmote.paths import FIRMWARE_DIR
from wasmote.wasm import validator

CORE = FIRMWARE_DIR / "src" / "core"
SOURCES: dict[str, Path] = {
    "package.h": CORE / "sandbox" / "package.h",
    "package.c": CORE / "sandbox" / "package.c",
    "sb_api.h": CORE / "sandbox" / "sb_api.h",
    "store.h": CORE / "store" / "store.h",
    "wire.h": CORE / "protocol" / "wire.h",
    "supervisor.h": CORE / "supervisor" / "supervisor.h",
    "wm_aot_abi.h": CORE / "aot" / "wm_aot_abi.h",
    "wasmote.h": FIRMWARE_DIR.parent / "sdk" / "wasmote.h",
    "wm_internal.h": CORE / "runtime" / "wm_internal.h",
    "app_main.c": FIRMWARE_DIR / "src" / "app" / "app_main.c",
}

Value = int | bytes

_DEFINE = re.compile(r"^[ \t]*#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*$", re.M)
_ENUM = re.compile(r"\benum\b[^{;]*\{([^}]*)\}", re.S)
_MEMBER = re.compile(r"(\w+)\s*=\s*([^,]+)")
_BYTES = re.compile(r"\bconst\s+uint8_t\s+(\w+)\s*\[\w*\]\s*=\s*\{([^}]*)\}")
_STRING = re.compile(r"\bconst\s+char\s+(\w+)\s*\[\]\s*=\s*\"((?:[^\"\\]|\\.)*)\"")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_SUFFIX = re.compile(r"\b(0[xX][0-9A-Fa-f]+|\d+)[uUlL]+\b")
_BINOPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_, ast.FloorDiv: operator.floordiv,
}


def _eval(expr: str, known: dict[str, Value]) -> int | None:
    """An integer constant expression of literals, + - * / << >> | & and names already
    known; None for anything else (strings, function-like macros, casts)."""
    try:
        tree = ast.parse(_SUFFIX.sub(r"\1", expr.strip()).replace("/", "//"), mode="eval").body
    except SyntaxError:
        return None

    def ev(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and isinstance(known.get(node.id), int):
            return int(known[node.id])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(ast.dump(node))

    try:
        return ev(tree)
    except ValueError:
        return None


def parse_c_constants(text: str) -> dict[str, Value]:
    """Object-like #defines and enum members whose value is an integer constant expression,
    byte-array constants (as bytes) and string constants (as bytes, without the NUL)."""
    text = _COMMENT.sub(" ", text)
    out: dict[str, Value] = {}
    for m in _BYTES.finditer(text):
        elements = [_eval(b, out) for b in m[2].split(",") if b.strip()]
        if all(e is not None and 0 <= e < 256 for e in elements):
            out[m[1]] = bytes(e for e in elements if e is not None)
    for m in _STRING.finditer(text):
        out[m[1]] = m[2].encode().decode("unicode_escape").encode("latin-1")
    items = [(m[1], m[2]) for m in _DEFINE.finditer(text)]
    for body in _ENUM.finditer(text):
        items += [(m[1], m[2].strip()) for m in _MEMBER.finditer(body[1])]
    for _ in range(len(items)):  # names may refer to names defined later
        progress = False
        for name, expr in items:
            if name not in out and (v := _eval(expr, out)) is not None:
                out[name] = v
                progress = True
        if not progress:
            break
    return out


@cache
def _source(key: str) -> str:
    return SOURCES[key].read_text()


@cache
def _constants(key: str) -> dict[str, Value]:
    return parse_c_constants(_source(key))


def _name_regex_max(rx: re.Pattern[str]) -> int:
    """The longest name a name regex accepts (names of 'a' up to 300 characters)."""
    return max(n for n in range(1, 300) if rx.fullmatch("a" * n))


def _align8(n: int) -> int:
    return (n + 7) & ~7


# (C file, C name, the Python value that must equal it)
ROWS: list[tuple[str, str, Value]] = [
    # the package container (package/container.py, docs/module-format.md)
    ("package.c", "k_magic", container.MAGIC),
    ("package.c", "k_wasm_magic", container.WASM_MAGIC),
    ("package.c", "k_sig_domain", container.SIGNING_CONTEXT.removesuffix(b"\0")),
    ("package.h", "WM_PKG_FORMAT_VERSION", container.FORMAT_VERSION),
    ("package.h", "WM_PKG_HEADER_SIZE", container.HEADER.size),
    ("package.h", "WM_PKG_HASH_SECTION_SIZE",
     container.SECTION_HEADER.size + container.HASH_BYTES),
    ("package.h", "WM_PKG_SIG_SECTION_SIZE",
     _align8(container.SECTION_HEADER.size + container.SIGNATURE_PAYLOAD.size)),
    ("package.h", "WM_PKG_MAX_SECTIONS", container.MAX_SECTIONS),
    ("package.h", "WM_PKG_MAX_CONTENT", container.MAX_CONTENT_BYTES),
    *[("package.h", f"WM_PKG_KIND_{k.name}", int(k)) for k in container.SectionKind],
    # the manifest (package/manifest.py, package/capabilities.py)
    ("package.h", "WM_PKG_MANIFEST_MAX", manifest.MAX_MANIFEST_BYTES),
    ("package.h", "WM_PKG_ENCODING_MAX", manifest.MANIFEST_ENCODING_V4),
    ("package.h", "WM_PKG_NAME_MAX", manifest.MAX_NAME_BYTES),
    ("package.h", "WM_PKG_NAME_MAX", _name_regex_max(manifest._NAME_RE)),
    ("package.h", "WM_PKG_ENTRY_MAX", manifest.MAX_ENTRY_BYTES),
    ("package.h", "WM_PKG_ENTRY_MAX", _name_regex_max(manifest._ENTRY_RE)),
    ("package.h", "WM_PKG_CAPS_MAX", manifest.MAX_CAPABILITIES),
    ("package.h", "WM_PKG_CAP_ARG_MAX", capabilities.MAX_ARG_BYTES),
    ("package.h", "WM_PKG_KV_WRITE_DEFAULT", manifest.DEFAULT_KV_WRITE_PER_HOUR),
    ("package.h", "WM_PKG_ARGS_MAX", manifest.MAX_ARGS),
    ("package.h", "WM_PKG_ENV_MAX", manifest.MAX_ENV),
    ("sb_api.h", "WM_QUEUE_DEPTH", manifest.QUEUE_DEPTH_MAX),
    ("sb_api.h", "WM_PIN_NAME_MAX", _name_regex_max(capabilities._PIN_RE)),
    ("wasmote.h", "WM_API_VERSION", capabilities.API_VERSION),
    # module names: the store keeps them, the wire carries them, the CLI checks them
    ("store.h", "WM_STORE_NAME_MAX", manifest.MAX_NAME_BYTES),
    ("store.h", "WM_STORE_NAME_MAX", protocol.NAME_MAX),
    ("store.h", "WM_STORE_NAME_MAX", _name_regex_max(device_cmds._NAME_RE)),
    # what the loader takes (wasm/validator.py refuses more before sending)
    ("wm_internal.h", "WM_MAX_IMPORTS", validator.MAX_IMPORTS),
    ("wm_internal.h", "WM_MAX_EXPORTS", validator.MAX_EXPORTS),
    ("wm_internal.h", "WM_MAX_TYPE_VALUES", validator.MAX_TYPE_VALUES),
    # the wire (device/protocol.py) beyond tests/protocol's table
    ("wire.h", "WM_PROTO_MAX_PAYLOAD", protocol.MAX_PAYLOAD),
    ("supervisor.h", "WM_SUP_KEYS_MAX", protocol.PROVISION_KEYS_MAX),
    ("app_main.c", "k_ready_line", protocol.BOOT_READY_LINE),
    # the AOT payload (aot/blob.py)
    ("wm_aot_abi.h", "WM_AOT_ABI_VERSION", blob.ABI_VERSION),
    ("wm_aot_abi.h", "WM_AOT_MAGIC", blob.MAGIC),
    ("wm_aot_abi.h", "WM_AOT_HEADER_BYTES", blob.HEADER_BYTES),
    ("wm_aot_abi.h", "WM_AOT_F_FUEL", blob.FLAG_FUEL),
    ("wm_aot_abi.h", "WM_AOT_F_NO_BOUNDS", blob.FLAG_NO_BOUNDS),
    ("wm_aot_abi.h", "WM_AOT_F_KNOWN", blob.FLAG_FUEL | blob.FLAG_NO_BOUNDS),
    ("wm_aot_abi.h", "WM_AOT_NO_ENTRY", blob.NO_ENTRY),
    *[("wm_aot_abi.h", f"WM_AOT_H_{field}", 4 * i) for i, field in enumerate((
        "MAGIC", "SIZE", "FLAGS", "CTX_SIZE", "NIMPORTS", "NFUNCS", "FRAME", "ENTRIES",
        "CODE", "CODE_SIZE", "TYPES", "ALIGN", "MODULE_HASH"))],
]


def mismatches(constants: Callable[[str], dict[str, Value]]) -> list[str]:
    out = []
    for key, name, want in ROWS:
        got = constants(key).get(name)
        if got != want:
            out.append(f"{key} {name} = {got!r}, the host tools have {want!r}")
    return out


def test_every_shared_constant_is_the_same_on_both_sides() -> None:
    bad = mismatches(_constants)
    assert not bad, "\n".join(bad)


def _planted(text: str, name: str) -> str:
    """The C text with NAME's value changed (one more, or one byte more)."""
    patterns = [(rf"(#define[ \t]+{name}[ \t]+)", r"\g<1>1 + "),
                (rf"(\b{name}\s*=\s*)(?=[^\"{{])", r"\g<1>1 + "),
                (rf"(\b{name}\s*\[\w*\]\s*=\s*\{{)", r"\g<1>1 + "),
                (rf"(\b{name}\s*\[\]\s*=\s*\")", r"\g<1>x")]
    for pattern, repl in patterns:
        changed, n = re.subn(pattern, repl, text, count=1)
        if n:
            return changed
    raise AssertionError(f"{name} not found to plant a mismatch")


@pytest.mark.parametrize(("key", "name"), sorted({(k, n) for k, n, _ in ROWS}))
def test_a_planted_mismatch_fails_the_check(key: str, name: str) -> None:
    planted = parse_c_constants(_planted(_source(key), name))

    def constants(k: str) -> dict[str, Value]:
        return planted if k == key else _constants(k)

    assert any(f"{key} {name} =" in m for m in mismatches(constants))


def test_package_h_arch_codes_are_wm_aot_abi_h_codes() -> None:
    """package.h repeats the AOT architecture codes of wm_aot_abi.h (which
    tests/aot/test_aot_arch_codes.py compares with the host's)."""
    pkg = parse_c_constants(_source("package.h"))
    abi = parse_c_constants(_source("wm_aot_abi.h"))
    short = {k.removeprefix("WM_AOT_"): v for k, v in pkg.items()
             if k.startswith("WM_AOT_")}
    assert short and all(abi[f"WM_AOT_ARCH_{k}"] == v for k, v in short.items())


def test_the_traps_the_translator_emits_are_the_runtimes() -> None:
    abi = parse_c_constants(_source("wm_aot_abi.h"))
    used = {v for k, v in vars(translate).items() if k.startswith("TRAP_")}
    assert used and used <= {k for k in abi if k.startswith("WM_AOT_TRAP_")}


def test_the_reader_evaluates_what_the_headers_use() -> None:
    got = parse_c_constants('#define A (16u * 1024u)\n#define B (A + 0x10u) /* c */\n'
                            "enum { C = 2, D = -3, E = B };\n#define F(x) x\n"
                            'static const uint8_t M[2] = {0x00, 0x77};\n'
                            'static const char S[] = "ab";\n')
    assert got == {"A": 16384, "B": 16400, "C": 2, "D": -3, "E": 16400, "M": b"\0w",
                   "S": b"ab"}
