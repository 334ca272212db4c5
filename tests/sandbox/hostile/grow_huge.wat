;; Asks for 4 GiB, then for one page more than limits.memory allows: both fail with -1.
(module
  (memory 1)
  (func (export "huge") (result i32) (memory.grow (i32.const 65535)))
  (func (export "one_more") (result i32) (memory.grow (i32.const 1)))
  (func (export "size") (result i32) (memory.size)))
