;; Imports log with 17 parameters: the longest signature the device's refusal still shows
;; (one parameter fewer than long_signature.wat).
(module
  (import "wasmote" "log" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (func (export "run") (result i32) (i32.const 0)))
