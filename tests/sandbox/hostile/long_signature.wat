;; Imports log with 18 parameters: a signature too long for the device's 20-byte signature
;; string ("i" x 18, ":", "i", NUL), so the refusal shows only the host function's.
(module
  (import "wasmote" "log" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (func (export "run") (result i32) (i32.const 0)))
