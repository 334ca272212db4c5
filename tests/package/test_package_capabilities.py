import pytest

from wasmote.package.capabilities import (
    HOST_FUNCTIONS,
    Capability,
    CapKind,
    FuncImport,
    HostFunction,
    check_imports,
    check_topic,
    denied_imports,
    granted_functions,
    parse_capabilities,
    parse_capability,
    topic_matches,
)
from wasmote.package.errors import CapabilityError


@pytest.mark.parametrize("text,cap", [
    ("log", Capability(CapKind.LOG)),
    ("time", Capability(CapKind.TIME)),
    ("sleep", Capability(CapKind.SLEEP)),
    ("kv", Capability(CapKind.KV)),
    ("gpio:led0", Capability(CapKind.GPIO, "led0")),
    ("gpio:*", Capability(CapKind.GPIO, "*")),
    ("pubsub:sensors/*", Capability(CapKind.PUBSUB, "sensors/*")),
    ("pubsub:*", Capability(CapKind.PUBSUB, "*")),
    ("pubsub:a/b-c/D_9", Capability(CapKind.PUBSUB, "a/b-c/D_9")),
])
def test_parse_good(text, cap):
    assert parse_capability(text) == cap
    assert str(cap) == text


@pytest.mark.parametrize("text,fragment", [
    ("net", "unknown capability 'net'"),
    ("log:x", "takes no argument"),
    ("gpio", "needs an argument"),
    ("gpio:", "needs an argument"),
    ("gpio:LED", "bad gpio pin name"),
    ("gpio:0led", "bad gpio pin name"),
    ("gpio:" + "a" * 33, "bad gpio pin name"),
    ("pubsub:a/*/b", "only the last segment"),
    ("pubsub:a//b", "segments are"),
    ("pubsub:/a", "segments are"),
    ("pubsub:a/", "segments are"),
    ("pubsub:a*", "segments are"),
    ("pubsub:" + "a" * 33, "at most 32"),
    ("pubsub:caf\u00e9", "ASCII"),
    ("", "unknown capability"),
])
def test_parse_bad(text, fragment):
    with pytest.raises(CapabilityError, match=fragment):
        parse_capability(text)


def test_duplicates_rejected():
    with pytest.raises(CapabilityError, match="listed twice"):
        parse_capabilities(["log", "kv", "log"])


@pytest.mark.parametrize("pattern,topic,ok", [
    ("*", "a", True), ("*", "a/b/c", True),
    ("sensors/*", "sensors/t", True), ("sensors/*", "sensors/t/x", True),
    ("sensors/*", "sensors", False), ("sensors/*", "sensorsX/t", False),
    ("sensors/t", "sensors/t", True), ("sensors/t", "sensors/tt", False),
])
def test_topic_matches(pattern, topic, ok):
    check_topic(topic)
    assert topic_matches(pattern, topic) is ok


def test_topic_has_no_wildcard():
    with pytest.raises(CapabilityError, match="no '\\*'"):
        check_topic("a/*")


def test_grants_per_kind():
    always = {"yield", "periph_close"}  # neither grants any power
    assert granted_functions([]) == always
    assert granted_functions([Capability(CapKind.GPIO, "led0")]) == {
        *always, "gpio_pin", "gpio_read", "gpio_write"}
    assert granted_functions([Capability(CapKind.I2C, "0/0x48")]) == {
        *always, "i2c_open", "i2c_read", "i2c_write", "i2c_write_read"}
    every = parse_capabilities(["log", "time", "sleep", "kv", "gpio:*", "pubsub:*",
                                "i2c:0/*", "spi:0/*", "uart:aux", "adc:vin0", "pwm:led1"])
    assert granted_functions(every) == set(HOST_FUNCTIONS)


def _imp(name: str, params: tuple[str, ...] | None = None,
         results: tuple[str, ...] | None = None, module: str = "wasmote") -> FuncImport:
    f = HOST_FUNCTIONS.get(name, HostFunction(name, (), (), None))
    return FuncImport(module, name, params if params is not None else f.params,
                      results if results is not None else f.results)


def test_check_imports_accepts_granted():
    check_imports([_imp("log"), _imp("yield"), _imp("kv_get")],
                  parse_capabilities(["log", "kv"]))


@pytest.mark.parametrize("imp,fragment", [
    (_imp("time_ms"), r"import wasmote.time_ms \(\) -> \(i64\): not granted by the manifest "
                      r"\(needs capability time\)"),
    (_imp("publish"), "needs capability pubsub:PATTERN"),
    (FuncImport("env", "log", ("i32", "i32"), ("i32",)),
     r"import env.log \(i32, i32\) -> \(i32\): no such host function"),
    (FuncImport("posix", "fork", (), ()), r"import posix.fork \(\) -> \(\): no such import "
                                          "module .the device provides wasmote, "
                                          "wasi_snapshot_preview1 and env."),
    (FuncImport("wasmote", "fopen", (), ()), "no such host function"),
    (_imp("log", params=("i32",)), r"import wasmote.log \(i32\) -> \(i32\): signature does "
                                   r"not match the host function's \(i32, i32\) -> \(i32\)"),
    (FuncImport("wasi_snapshot_preview1", "fd_write", ("i32",), ("i32",)),
     r"signature does not match the host function's \(i32, i32, i32, i32\) -> \(i32\)"),
    (FuncImport("env", "seed", (), ("f64",)), r"import env.seed \(\) -> \(f64\): not granted "
                                               r"by the manifest "
                                               r"\(needs capability random\)"),
])
def test_check_imports_rejects(imp, fragment):
    with pytest.raises(CapabilityError, match=fragment):
        check_imports([imp], parse_capabilities(["log"]))


def test_ungranted_wasi_links_a_stub():
    """An ungranted WASI function still links (it answers ENOTCAPABLE); the host says so."""
    imps = [FuncImport("wasi_snapshot_preview1", "random_get", ("i32", "i32"), ("i32",)),
            FuncImport("wasi_snapshot_preview1", "proc_exit", ("i32",), ())]
    check_imports(imps, [])
    assert denied_imports(imps, []) == ["wasi_snapshot_preview1.random_get (needs random)"]
    assert denied_imports(imps, parse_capabilities(["random"])) == []


def test_bridge_grants_parse_print_and_encode():
    """bridge:out:PATTERN / bridge:in:PATTERN (docs/module-format.md): kinds 13 and 14 with the
    pattern as argument, printed back as written, kept by the binary manifest."""
    from wasmote.package.manifest import decode_manifest, encode_manifest, parse_manifest_toml

    caps = parse_capabilities(["pubsub:sensors/*", "bridge:out:sensors/*",
                               "bridge:in:sensors/cmd"])
    assert caps[1:] == (Capability(CapKind.BRIDGE_OUT, "sensors/*"),
                        Capability(CapKind.BRIDGE_IN, "sensors/cmd"))
    assert [str(c) for c in caps] == ["pubsub:sensors/*", "bridge:out:sensors/*",
                                      "bridge:in:sensors/cmd"]
    m = parse_manifest_toml('name = "s"\nversion = "1.0.0"\ncapabilities = '
                            '["pubsub:sensors/*", "bridge:out:sensors/t"]\n')
    raw = encode_manifest(m)
    assert bytes([13, 9]) + b"sensors/t" in raw
    assert decode_manifest(raw) == m


@pytest.mark.parametrize("caps,fragment", [
    (["bridge:up:x"], "expected bridge:out:PATTERN or bridge:in:PATTERN"),
    (["bridge:out"], "needs an argument"),
    (["bridge:in:a//b"], "bad pubsub pattern"),
    (["pubsub:a/*", "bridge:out:b/*"], "no pubsub grant covers 'b/\\*'"),
    (["pubsub:a/b", "bridge:in:a/*"], "no pubsub grant covers 'a/\\*'"),
])
def test_bad_bridge_grants(caps, fragment):
    from wasmote.package.manifest import parse_manifest_toml

    text = f'name = "s"\nversion = "1.0.0"\ncapabilities = {caps!r}\n'.replace("'", '"')
    with pytest.raises(Exception, match=fragment):
        parse_manifest_toml(text)


def test_bridge_grants_count_as_used_by_a_pubsub_module():
    from wasmote.package.capabilities import unused_capabilities

    caps = parse_capabilities(["pubsub:s/*", "bridge:out:s/*", "log"])
    assert unused_capabilities([_imp("publish")], caps) == [Capability(CapKind.LOG)]
    assert unused_capabilities([_imp("log")], caps) == list(caps[:2])
