;; RUN and references (issue 14, item 1): an export taking a funcref calls through it with
;; call_indirect, so 64 bits from the wire must never become one.
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
