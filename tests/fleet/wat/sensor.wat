;; A sensor: publishes its reading count (u32, little-endian) on "sensors/temp" every
;; 50 ms, forever.
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "sensors/temp")
  (func (export "_start")
    (local $i i32)
    (loop $l
      (i32.store (i32.const 16) (local.get $i))
      (drop (call $publish (i32.const 0) (i32.const 12) (i32.const 16) (i32.const 4)))
      (drop (call $sleep (i32.const 50)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
