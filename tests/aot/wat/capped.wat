;; Accesses at constant addresses: the AOT code needs no check for them, provided the memory
;; has the bytes its declared minimum promises (aot_unit.c, case "capped").
(module
  (memory 1)
  (data (i32.const 100) "\2a")
  (func (export "low") (result i32) (i32.load8_u (i32.const 100)))
  (func (export "high") (result i32) (i32.load (i32.const 30000)))
  ;; 16 words up to 30000: the translator checks them, GCC drops the checks as it bounds
  ;; the counter below the 30 004 bytes every entry tests (WM_MEM_NEED)
  (func (export "scan") (result i32) (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load offset=29940 (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (i32.const 64))))
    (local.get $s)))
