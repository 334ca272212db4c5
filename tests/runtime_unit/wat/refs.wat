;; Function references handed in from outside (wm_call): call_indirect calls through
;; whatever lands in the table, so only null and the instance's own functions may enter.
(module
  (type $t (func (result i32)))
  (table 1 funcref)
  (func $seven (result i32) i32.const 7)
  (elem declare func $seven)
  (func (export "callref") (param funcref) (result i32)
    (table.set 0 (i32.const 0) (local.get 0))
    (call_indirect (type $t) (i32.const 0)))
  (func (export "own") (result funcref) (ref.func $seven))
  (func (export "ext") (param externref) (result i32)
    (ref.is_null (local.get 0))))
