;; Works for 100 ms, then traps.
(module
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (func (export "_start")
    (drop (call $sleep (i32.const 100)))
    unreachable))
