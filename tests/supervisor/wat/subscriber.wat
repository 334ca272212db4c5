;; Subscribes to "t/*" and blocks in receive (no timeout); logs "got N" every 5 messages.
(module
  (import "wasmote" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "wasmote" "receive" (func $receive (param i32 i32 i32) (result i32)))
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "t/*")
  (data (i32.const 200) "got ")
  (func (export "_start")
    (local $n i32)
    (drop (call $subscribe (i32.const 0) (i32.const 3)))
    (loop $l
      (if (i32.ge_s (call $receive (i32.const 100) (i32.const 97) (i32.const -1)) (i32.const 0))
        (then
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (if (i32.eqz (i32.rem_u (local.get $n) (i32.const 5)))
            (then
              ;; "got " + one digit (n/5, up to 5)
              (i32.store8 (i32.const 204) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 5))))
              (drop (call $log (i32.const 200) (i32.const 5)))))))
      (br $l))))
