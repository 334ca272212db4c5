;; Imports log with a signature that differs from the host function's.
(module
  (import "wasmote" "log" (func (param i32) (result i32)))
  (func (export "run") (result i32) (i32.const 0)))
