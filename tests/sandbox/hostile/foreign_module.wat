;; Imports from a module the device does not provide.
(module
  (import "posix" "fork" (func))
  (func (export "run") (result i32) (i32.const 0)))
