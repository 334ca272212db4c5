;; The fleet story's application, version 1.1, with a bug: it listens to sensors/temp and
;; traps on the first reading, so it runs on devices without the sensor module and traps on
;; the others.
(module
  (import "wasmote" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "wasmote" "receive" (func $receive (param i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "sensors/temp")
  (func (export "_start")
    (drop (call $subscribe (i32.const 0) (i32.const 12)))
    (if (i32.ge_s (call $receive (i32.const 100) (i32.const 97) (i32.const -1)) (i32.const 0))
      (then unreachable))))
