;; Says three lines and exits (_start), or one line per call (say): module output that a
;; provisioned device shows only to an authenticated subscriber or RUN.
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "secret reading 42")
  (func (export "_start")
    (drop (call $log (i32.const 0) (i32.const 17)))
    (drop (call $log (i32.const 0) (i32.const 17)))
    (drop (call $log (i32.const 0) (i32.const 17))))
  (func (export "say") (result i32)
    (drop (call $log (i32.const 0) (i32.const 17)))
    i32.const 7))
