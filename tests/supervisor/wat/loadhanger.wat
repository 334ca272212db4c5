;; Hangs the firmware inside its own load once armed (test images only): its start
;; function, which every load runs, calls fault_hang when kv holds "armed"; arm() sets it.
(module
  (import "wasmote" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "kv_set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "fault_hang" (func $hang))
  (memory 1)
  (data (i32.const 0) "armed")
  (func $init
    (if (i32.ge_s (call $get (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 4))
                  (i32.const 0))
      (then (call $hang))))
  (start $init)
  (func (export "arm") (result i32)
    (call $set (i32.const 0) (i32.const 5) (i32.const 16) (i32.const 4)))
  (func (export "_start")))
