;; Publishes "t/tick" every 20 ms, 25 times, then exits.
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "t/tick")
  (data (i32.const 8) "x")
  (func (export "_start")
    (local $i i32)
    (loop $l
      (drop (call $publish (i32.const 0) (i32.const 6) (i32.const 8) (i32.const 1)))
      (drop (call $sleep (i32.const 20)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 25))))))
