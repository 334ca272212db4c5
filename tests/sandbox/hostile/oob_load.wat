;; Reads one byte past the end of its 1-page memory.
(module
  (memory 1)
  (func (export "run") (result i32) (i32.load (i32.const 65533))))
