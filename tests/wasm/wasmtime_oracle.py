"""wasmtime as the reference validator, with the post-2.0 proposals switched off."""

from __future__ import annotations

import wasmtime

_OFF = ("wasm_gc", "wasm_function_references", "wasm_tail_call", "wasm_multi_memory",
        "wasm_memory64", "wasm_threads", "wasm_simd", "wasm_relaxed_simd", "wasm_exceptions",
        "wasm_wide_arithmetic", "wasm_custom_page_sizes", "wasm_stack_switching",
        "wasm_component_model")


def _engine() -> wasmtime.Engine:
    cfg = wasmtime.Config()
    for feature in _OFF:
        # The properties are write-only, so hasattr() would be False: look at the class.
        if feature in dir(type(cfg)):
            setattr(cfg, feature, False)
    return wasmtime.Engine(cfg)


ENGINE = _engine()


def wasmtime_accepts(raw: bytes) -> bool:
    """True if wasmtime decodes and validates `raw`."""
    try:
        wasmtime.Module.validate(ENGINE, raw)
    except wasmtime.WasmtimeError:
        return False
    return True
