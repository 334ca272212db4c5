;; Stores at address 0xFFFFFFF0 (+ offset 0x20): wraps in 32 bits, must not in the check.
(module
  (memory 1)
  (func (export "run") (i32.store offset=32 (i32.const -16) (i32.const 7))))
