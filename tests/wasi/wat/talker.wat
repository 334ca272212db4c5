;; Publishes "t=21" on sensors/t every 20 ms, forever (a partner for listener.wat).
(module
  (import "wasmote" "publish" (func $pub (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "sensors/t")
  (data (i32.const 16) "t=21")
  (func (export "_start")
    (loop $l
      (drop (call $pub (i32.const 0) (i32.const 9) (i32.const 16) (i32.const 4)))
      (drop (call $sleep (i32.const 20)))
      (br $l))))
