;; call_indirect with the wrong signature, and past the end of the table.
(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $f)
  (func $f (result i32) (i32.const 1))
  (func (export "wrong_type") (result i32) (call_indirect (type $ii) (i32.const 5) (i32.const 0)))
  (func (export "past_end") (result i32) (call_indirect (type $v) (i32.const 9)))
  (func (export "null_entry") (result i32) (call_indirect (type $v) (i32.const 1))))
