;; Which functions check the stack (host_tools/wasmote/aot/stackcheck.py): $pair calls only
;; the leaf $mix and checks nothing itself; $deep recurses through it and checks at each
;; entry, so unbounded recursion still traps "call stack exhausted"; $indirect calls through
;; a table and $twice a function that calls: they check (a call of an import checks too:
;; tests/aot/test_aot_stackcheck.py).
(module
  (table 1 funcref)
  (elem (i32.const 0) $mix)
  (type $mixt (func (param i64) (result i64)))
  ;; a leaf with many live values: a native frame of its own
  (func $mix (param $n i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64)
    (local.set $a (i64.mul (local.get $n) (i64.const 3)))
    (local.set $b (i64.add (local.get $a) (i64.const 5)))
    (local.set $c (i64.xor (local.get $b) (local.get $n)))
    (local.set $d (i64.rotl (local.get $c) (i64.const 7)))
    (local.set $e (i64.sub (local.get $d) (local.get $a)))
    (i64.add (i64.add (i64.mul (local.get $a) (local.get $b)) (i64.mul (local.get $c) (local.get $d)))
             (i64.mul (local.get $e) (local.get $n))))
  (func $pair (export "pair") (param $n i64) (result i64) (local $x i64) (local $y i64)
    (local.set $x (call $mix (local.get $n)))
    (local.set $y (call $mix (i64.add (local.get $x) (local.get $n))))
    (i64.add (i64.mul (local.get $x) (local.get $y)) (call $mix (local.get $y))))
  (func $deep (export "deep") (param $n i64) (result i64)
    (i64.add (call $pair (local.get $n)) (call $deep (i64.add (local.get $n) (i64.const 1)))))
  (func $indirect (export "indirect") (param $n i64) (result i64)
    (call_indirect (type $mixt) (local.get $n) (i32.const 0)))
  (func $twice (export "twice") (param $n i64) (result i64)
    (call $pair (call $pair (local.get $n))))
)
