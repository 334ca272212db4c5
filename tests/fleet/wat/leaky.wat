;; Publishes "secret" on "sensors/raw" every 50 ms, forever: its manifest grants pub/sub
;; on sensors/* but no bridge, so none of it may leave the device.
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "sensors/raw")
  (data (i32.const 16) "secret")
  (func (export "_start")
    (loop $l
      (drop (call $publish (i32.const 0) (i32.const 11) (i32.const 16) (i32.const 6)))
      (drop (call $sleep (i32.const 50)))
      (br $l))))
