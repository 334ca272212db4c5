;; Log lines that attack the terminal (issue 14, item 8): an OSC 52 clipboard write, a
;; screen clear, a forged line for another module, a C1 CSI, DEL and a bidi override; and a
;; flood of lines that must not evict other modules' lines from the LOGS ring.
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "\1b]52;c;ZXZpbA==\07\1b[2J\0d\0acalc: forged line\c2\9b\7f\e2\80\ae")
  (data (i32.const 128) "flood flood flood flood flood flood flood flood")
  (func (export "_start")
    (drop (call $log (i32.const 16) (i32.const 45))))
  (func (export "shout") (result i32)
    (drop (call $log (i32.const 16) (i32.const 45)))
    i32.const 1)
  (func (export "flood") (param $n i32)
    (loop $l
      (drop (call $log (i32.const 128) (i32.const 47)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
