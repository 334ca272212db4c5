"""wasmote: run sandboxed WebAssembly modules on microcontrollers (host toolchain)."""

__version__ = "0.1.0"
