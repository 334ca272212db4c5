;; Like the SDK's pub/sub example: subscribes to "t/*", waits forever in receive, and
;; gives up (returns, state "exited") on any error; logs "got N" for every message.
(module
  (import "wasmote" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "wasmote" "receive" (func $receive (param i32 i32 i32) (result i32)))
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "t/*")
  (data (i32.const 200) "got ")
  (func (export "_start") (result i32)
    (local $n i32) (local $r i32)
    (local.set $r (call $subscribe (i32.const 0) (i32.const 3)))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return (local.get $r))))
    (loop $l
      (local.set $r (call $receive (i32.const 100) (i32.const 97) (i32.const -1)))
      (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return (local.get $r))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      ;; "got " + two digits
      (i32.store8 (i32.const 204) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
      (i32.store8 (i32.const 205) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (drop (call $log (i32.const 200) (i32.const 6)))
      (br $l))
    (i32.const 0)))
