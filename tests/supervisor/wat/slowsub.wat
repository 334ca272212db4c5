;; A slow subscriber: takes one message of "t/*" at a time and sleeps 5 ms after each;
;; every "t/tick" it gets is counted and logged as "ticks NN".
(module
  (import "wasmote" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "wasmote" "receive" (func $receive (param i32 i32 i32) (result i32)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "t/*")
  (data (i32.const 200) "ticks 00")
  (func (export "_start")
    (local $n i32)
    (drop (call $subscribe (i32.const 0) (i32.const 3)))
    (loop $l
      (if (i32.ge_s (call $receive (i32.const 100) (i32.const 97) (i32.const -1)) (i32.const 0))
        (then
          ;; buf[0] = topic length, then the topic: "t/tick" is 6 bytes, 't' 'i' at 103
          (if (i32.and (i32.eq (i32.load8_u (i32.const 100)) (i32.const 6))
                       (i32.eq (i32.load8_u (i32.const 103)) (i32.const 0x74)))
            (then
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (i32.store8 (i32.const 206) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
              (i32.store8 (i32.const 207) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
              (drop (call $log (i32.const 200) (i32.const 8)))))))
      (drop (call $sleep (i32.const 5)))
      (br $l))))
