;; Looks up pins by name (led0 @0, button0 @8, nosuch @16, led1 @24) and drives them.
(module
  (import "wasmote" "gpio_pin" (func $pin (param i32 i32) (result i32)))
  (import "wasmote" "gpio_write" (func $write (param i32 i32) (result i32)))
  (import "wasmote" "gpio_read" (func $read (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "led0")
  (data (i32.const 8) "button0")
  (data (i32.const 16) "nosuch")
  (data (i32.const 24) "led1")
  (func (export "pin") (param i32 i32) (result i32) (call $pin (local.get 0) (local.get 1)))
  (func (export "write") (param i32 i32) (result i32) (call $write (local.get 0) (local.get 1)))
  (func (export "read") (param i32) (result i32) (call $read (local.get 0))))
