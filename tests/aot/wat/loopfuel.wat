;; Counted loops whose fuel is paid once before a copy that charges nothing (loopfuel.py):
;; up, down, by steps of 3 and 4, while != and while < (signed, unsigned, with the counter
;; stepping over its range's end), no iterations, 2^32 iterations, traps in iteration j,
;; loops with branches that leave early (br_if out, return), nested. Run in every slice, the
;; fuel left and the suspensions must be the interpreter's, and where they happen (most loops
;; store their counter at address 0).
(module
  (memory 1)
  ;; sum of mem[4i] for i in [0, n) (n > 0; with 0 it runs until the loads leave the memory)
  (func (export "up") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (i32.store (i32.const 0) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; counting $n down to 0 by 3 (n a multiple of 3, else not counted: the ordinary loop)
  (func (export "down3") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 7)) (local.get $n)))
      (i32.store (i32.const 0) (local.get $n))
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -3)))))
    (local.get $acc))
  ;; stores at p, p+4, ... up to the end: traps out of bounds in the iteration that reaches
  ;; 65536 when the end lies beyond it
  (func (export "fill4") (param $p i32) (param $end i32) (result i32)
    (loop $l
      (i32.store (local.get $p) (local.get $p))
      (br_if $l (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4)))
                        (local.get $end))))
    (local.get $p))
  ;; sum of i / (d - i) for i in [0, n): divides by zero in iteration d when d < n
  (func (export "div") (param $n i32) (param $d i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc)
                               (i32.div_u (local.get $i) (i32.sub (local.get $d) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; no iterations: the guard before the loop skips it
  (func (export "guarded") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $skip
      (br_if $skip (i32.eqz (local.get $n)))
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.ne (local.get $i) (local.get $n)))))
    (local.get $acc))
  ;; 2^28 + 1 iterations charging 16 each (4 + 11 nops + br_if): 2^28 * 16 wraps to 0 in 32
  ;; bits, so a test in 32-bit arithmetic would take the copy with a small slice
  (func (export "wrap16") (param $n i32) (result i32)
    (loop $l
      nop nop nop nop nop nop nop nop nop nop nop
      (br_if $l (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
    (local.get $n))
  ;; counted, leaves early when mem[4i] is $stop (charging the iterations run)
  (func (export "early") (param $n i32) (param $stop i32) (result i32) (local $i i32)
    (block $out
      (loop $l
        (br_if $out (i32.eq (i32.load (i32.shl (local.get $i) (i32.const 2))) (local.get $stop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.ne (local.get $i) (local.get $n)))))
    (local.get $i))
  ;; branches in the body (if/else), a return when acc passes $cap, a trap when $i reaches
  ;; $bad (unreachable)
  (func (export "branchy") (param $n i32) (param $cap i32) (param $bad i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 3)))))
        (else (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))))
      (if (i32.gt_s (local.get $acc) (local.get $cap)) (then (return (i32.const -1))))
      (if (i32.eq (local.get $i) (local.get $bad)) (then unreachable))
      (i32.store (i32.const 0) (local.get $i))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  ;; i from $a by 3 while i < $n, unsigned, leaving when i < $lo: when $n > 2^32 - 3, i can
  ;; step over 2^32 and come back below $n (then below $lo)
  (func (export "ltu") (param $i i32) (param $n i32) (param $lo i32) (result i32)
    (local $acc i32)
    (block $out
      (loop $l
        (i32.store (i32.const 0) (local.get $i))
        (br_if $out (i32.lt_u (local.get $i) (local.get $lo)))
        (local.set $acc (i32.xor (i32.rotl (local.get $acc) (i32.const 5)) (local.get $i)))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 3)))
                            (local.get $n)))))
    (local.get $acc))
  ;; i from $a by 3 while $n > i, signed, leaving when i < $lo (over 2^31 - 1 it comes back
  ;; negative)
  (func (export "gts") (param $i i32) (param $n i32) (param $lo i32) (result i32)
    (local $acc i32)
    (block $out
      (loop $l
        (i32.store (i32.const 0) (local.get $i))
        (br_if $out (i32.lt_s (local.get $i) (local.get $lo)))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 3)))
        (br_if $l (i32.gt_s (local.get $n) (local.get $i)))))
    (local.get $acc))
  ;; an outer loop around an inner counted one
  (func (export "nested") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.ne (local.get $j) (local.get $m))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.ne (local.get $i) (local.get $n))))
    (local.get $acc))
)
