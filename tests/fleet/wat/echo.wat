;; Subscribes to "commands/echo/*" and publishes every message's data back on
;; "sensors/echo" (its manifest bridges the first in, the second out).
(module
  (import "wasmote" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "wasmote" "receive" (func $receive (param i32 i32 i32) (result i32)))
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "commands/echo/*")
  (data (i32.const 32) "sensors/echo")
  (func (export "_start")
    (local $n i32)
    (drop (call $subscribe (i32.const 0) (i32.const 15)))
    (loop $l
      (local.set $n (call $receive (i32.const 100) (i32.const 97) (i32.const -1)))
      (if (i32.ge_s (local.get $n) (i32.const 0))
        (then
          ;; buf = u8 topic_len, topic, data: data starts at 101 + topic_len
          (drop (call $publish (i32.const 32) (i32.const 12)
            (i32.add (i32.const 101) (i32.load8_u (i32.const 100)))
            (i32.sub (i32.sub (local.get $n) (i32.const 1)) (i32.load8_u (i32.const 100)))))))
      (br $l))))
