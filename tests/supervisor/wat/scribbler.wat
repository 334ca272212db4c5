;; A module whose native code is meant to be compiled WITHOUT bounds checks (a broken AOT
;; image): poke/peek reach wherever their address points, and _start, after a while, writes
;; just past the end of its one-page memory. Only the MPU can stop it.
(module
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (memory 1 1)
  (func (export "poke") (param $a i32) (param $v i32)
    (i32.store (local.get $a) (local.get $v)))
  (func (export "peek") (param $a i32) (result i32)
    (i32.load (local.get $a)))
  (func (export "_start")
    (local $i i32)
    (loop $fill   ;; its own memory first: fine
      (i32.store (local.get $i) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 0x10000))))
    (drop (call $sleep (i32.const 300)))
    (i32.store (i32.const 0x10000) (i32.const 0xdead))  ;; one word past the end
    (drop (call $sleep (i32.const 1000000))))
)
