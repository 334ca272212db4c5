"""Host-side access to the runtime core through its posix build: values and `wasmote exec`
(the spec-suite driver and runner are test harness: tests/harness/)."""
