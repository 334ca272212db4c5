;; Imports kv_set; its manifest grants only log.
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (import "wasmote" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (func (export "run") (result i32) (call $kv_set (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1))))
