"""Ahead-of-time compilation of wasm modules to native code (docs/aot.md)."""
