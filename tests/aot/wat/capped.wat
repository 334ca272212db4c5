;; Accesses at constant addresses: the AOT code needs no check for them, provided the memory
;; has the bytes its declared minimum promises (aot_unit.c, case "capped").
(module
  (memory 1)
  (data (i32.const 100) "\2a")
  (func (export "low") (result i32) (i32.load8_u (i32.const 100)))
  (func (export "high") (result i32) (i32.load (i32.const 30000))))
