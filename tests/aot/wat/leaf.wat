;; Calls of a function that calls nothing, direct and through the table: its entry is
;; charged with the call's check point (CHARGE2), and first by the entry and the dispatcher;
;; without loops its return too, in the copy that does not check it (CHARGE3), which must
;; still report the fuel left exactly when it traps.
(module
  (type $leaf_t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (export "leaf") (param $x i32) (result i32)
    (i32.add (local.get $x) (i32.const 3)))
  (func (export "leaf_loop") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $leaf (local.get $acc)))
        (local.set $acc (call_indirect (type $leaf_t) (local.get $acc) (i32.const 0)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $acc))
  ;; a leaf without loops that traps when $d is 0, its return reached on two paths
  (func $div (param $x i32) (param $d i32) (result i32)
    (if (result i32) (i32.gt_u (local.get $x) (i32.const 1000))
      (then (i32.div_u (local.get $x) (local.get $d)))
      (else (i32.add (i32.div_u (local.get $x) (local.get $d)) (i32.const 1)))))
  (func (export "div_loop") (param $n i32) (param $d i32) (result i32) (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc)
                                 (call $div (i32.mul (local.get $n) (i32.const 100))
                                            (local.get $d))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $acc)))
