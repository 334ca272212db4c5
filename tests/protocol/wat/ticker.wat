;; A background module: logs "tick" five times with busy work in between, then exits.
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "tick")
  (global $n (mut i32) (i32.const 0))
  (func (export "_start")
    (local $i i32)
    (loop $outer
      (local.set $i (i32.const 0))
      (loop $busy
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $busy (i32.lt_u (local.get $i) (i32.const 20000))))
      (drop (call $log (i32.const 0) (i32.const 4)))
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (br_if $outer (i32.lt_u (global.get $n) (i32.const 5))))))
