;; The fleet story's application, version 1.0: sleeps in a loop (a quiet, healthy module).
(module
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (func (export "_start")
    (loop $l
      (drop (call $sleep (i32.const 1000)))
      (br $l))))
