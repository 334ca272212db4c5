;; Imports a host function that API 1 does not have.
(module
  (import "wasmote" "reboot" (func (result i32)))
  (func (export "run") (result i32) (i32.const 0)))
