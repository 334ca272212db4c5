;; A loop that calls a host function which may block, and one that may yield.
(module
  (import "env" "wait" (func $wait (param i32 i32) (result i32)))
  (import "env" "poke" (func $poke))
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      ;; acc += wait(i, 1000) : the arguments must survive a block and resume
      (local.set $acc (i32.add (local.get $acc) (call $wait (local.get $i) (i32.const 1000))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32)
    (call $poke)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))
