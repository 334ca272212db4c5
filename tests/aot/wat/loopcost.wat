;; Loops whose trip count is bounded where they are entered (loopcost.py): LLVM's remainder
;; loops after unrolling by 4 (`n & 3` trips, counting down or up) get no second copy, the
;; same loops over `n & 63` keep them; a loop with a branch in its body running while
;; i < (n & 3) gets no charge-free copy, over n & 255 it does. Each stores its counter at 0
;; and reads and writes at bases moving by 80 and 4 (a trap out of bounds in iteration j),
;; so that in every fuel slice the suspensions, the fuel left, the trap and the memory must
;; be the interpreter's.
(module
  (memory 1)
  (func (export "short") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $c i32) (local $acc i32)
    (local.set $c (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $c) (then
      (loop $l
        (i32.store (i32.const 0) (local.get $c))
        (local.set $acc (i32.sub (i32.mul (local.get $acc) (i32.const 3))
                                 (i32.load (local.get $q))))
        (i32.store offset=8 (local.get $p) (local.get $acc))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 80)))
        (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const -1)))))))
    (local.get $acc))
  (func (export "long") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $c i32) (local $acc i32)
    (local.set $c (i32.and (local.get $n) (i32.const 63)))
    (if (local.get $c) (then
      (loop $l
        (i32.store (i32.const 0) (local.get $c))
        (local.set $acc (i32.sub (i32.mul (local.get $acc) (i32.const 3))
                                 (i32.load (local.get $q))))
        (i32.store offset=8 (local.get $p) (local.get $acc))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 80)))
        (br_if $l (local.tee $c (i32.add (local.get $c) (i32.const -1)))))))
    (local.get $acc))
  ;; counting $i down from 0 to -(n & 3), both set right before the loop
  (func (export "short_up") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $end i32) (local $i i32) (local $acc i32)
    (if (i32.and (local.get $n) (i32.const 3)) (then
      (local.set $end (i32.sub (i32.const 0) (i32.and (local.get $n) (i32.const 3))))
      (local.set $i (i32.const 0))
      (loop $l
        (i32.store (i32.const 0) (local.get $i))
        (local.set $acc (i32.sub (i32.mul (local.get $acc) (i32.const 3))
                                 (i32.load (local.get $q))))
        (i32.store offset=8 (local.get $p) (local.get $acc))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 80)))
        (br_if $l (i32.ne (local.get $end)
                          (local.tee $i (i32.add (local.get $i) (i32.const -1))))))))
    (local.get $acc))
  ;; i from 0 while i < (n & 3) (n & 255), a branch in the body (loopfuel.py's branching
  ;; loops): one iteration when that is 0
  (func (export "short_lt") (param $q i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $acc i32)
    (local.set $end (i32.and (local.get $n) (i32.const 3)))
    (local.set $i (i32.const 0))
    (loop $l
      (i32.store (i32.const 0) (local.get $i))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $q)))))
        (else (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))))
      (local.set $q (i32.add (local.get $q) (i32.const 80)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $end))))
    (local.get $acc))
  (func (export "long_lt") (param $q i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $acc i32)
    (local.set $end (i32.and (local.get $n) (i32.const 255)))
    (local.set $i (i32.const 0))
    (loop $l
      (i32.store (i32.const 0) (local.get $i))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $q)))))
        (else (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))))
      (local.set $q (i32.add (local.get $q) (i32.const 80)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $end))))
    (local.get $acc)))
