"""The module author's SDK tooling: scaffold a project (`wasmote new`) and compile C to a
wasm module or package (`wasmote cc`)."""
