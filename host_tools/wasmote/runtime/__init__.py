"""Host-side access to the runtime core through its posix build: values, the command
driver, the spec-suite runner and `wasmote exec`."""
