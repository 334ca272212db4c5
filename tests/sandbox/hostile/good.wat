;; The well-behaved neighbour: called after every hostile module to show it still works.
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "still here")
  (global $calls (mut i32) (i32.const 0))
  (func (export "check") (param i32 i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 0) (i32.add (local.get 0) (local.get 1)))
    (drop (call $log (i32.const 16) (i32.const 10)))
    (i32.add (i32.load (i32.const 0)) (i32.mul (global.get $calls) (i32.const 1000)))))
