;; Declares 4 pages while its manifest allows 64 KiB.
(module
  (memory 4)
  (func (export "run") (result i32) (i32.const 0)))
