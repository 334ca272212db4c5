(module
  (type $ii (func (param i32) (result i32)))
  (table (export "tab") 2 funcref)
  (elem (i32.const 0) $inner $sq)
  (func $inner (export "inner") (type $ii) (i32.mul (local.get 0) (i32.const 3)))
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func (export "loop") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
)
