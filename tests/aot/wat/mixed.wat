;; Imports a function and a table from another instance and calls through both.
(module
  (type $ii (func (param i32) (result i32)))
  (import "peer" "inner" (func $inner (param i32) (result i32)))
  (import "peer" "tab" (table 2 funcref))
  (func (export "via_import") (param i32) (result i32)
    (i32.add (call $inner (local.get 0)) (i32.const 100)))
  (func (export "via_table") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
)
