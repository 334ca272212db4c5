;; Loops, recursion and unbounded recursion (fuel, exhaustion).
(module
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $acc))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $deep (export "deep") (param $n i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get $n))))
  ;; a frame with many live values (large native frames) recursing without end
  (func $wide (export "wide") (param $n i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64)
    (local.set $a (i64.mul (local.get $n) (i64.const 3)))
    (local.set $b (i64.add (local.get $a) (i64.const 5)))
    (local.set $c (i64.xor (local.get $b) (local.get $n)))
    (local.set $d (i64.rotl (local.get $c) (i64.const 7)))
    (local.set $e (i64.sub (local.get $d) (local.get $a)))
    (local.set $f (i64.add (local.get $e) (call $wide (i64.add (local.get $n) (i64.const 1)))))
    (i64.add (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $d)))
             (i64.add (local.get $e) (local.get $f))))
  ;; br_table loop: back-edges through a table
  (func (export "table_loop") (param $n i32) (result i32) (local $acc i32)
    (block $out
      (loop $top
        (local.set $acc (i32.add (local.get $acc) (i32.const 3)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_table $top $out (i32.eqz (local.get $n)))))
    (local.get $acc))
  ;; bulk operations charge fuel by size
  (memory 1)
  (func (export "fill") (param $n i32) (result i32)
    (memory.fill (i32.const 0) (i32.const 7) (local.get $n))
    (memory.copy (i32.const 100) (i32.const 0) (local.get $n))
    (i32.load8_u (i32.const 100)))
)
