;; Publishes on uart/poke (a message for the waiter, not what it waits for), sleeps, then
;; writes "hi" to the aux UART (the posix device's loopback: the waiter reads it).
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (import "wasmote" "uart_open" (func $uart_open (param i32 i32) (result i32)))
  (import "wasmote" "uart_write" (func $uart_write (param i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "uart/poke")
  (data (i32.const 16) "aux")
  (data (i32.const 32) "hi")
  (func (export "run") (result i32)
    (drop (call $publish (i32.const 0) (i32.const 9) (i32.const 32) (i32.const 2)))
    (drop (call $sleep (i32.const 200)))
    (call $uart_write (call $uart_open (i32.const 16) (i32.const 3)) (i32.const 32)
      (i32.const 2)))
)
