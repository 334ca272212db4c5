;; Subscribes to sensors/t, waits up to 10 s for one message and logs its data (receive
;; writes u8 topic length, the topic, then the data).
(module
  (import "wasmote" "subscribe" (func $sub (param i32 i32) (result i32)))
  (import "wasmote" "receive" (func $recv (param i32 i32 i32) (result i32)))
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "sensors/t")
  (func (export "_start") (local $n i32)
    (drop (call $sub (i32.const 0) (i32.const 9)))
    (local.set $n (call $recv (i32.const 100) (i32.const 64) (i32.const 10000)))
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then (drop (call $log (i32.const 110) (i32.sub (local.get $n) (i32.const 10))))))))
