;; Waits forever in uart_read on the aux UART twice, logging each result as "read N" (a
;; byte count) or "read -7" (WM_E_TIMEOUT), then returns. Woken by bytes the first time,
;; it must wait again the second: nothing else comes.
(module
  (import "wasmote" "uart_open" (func $uart_open (param i32 i32) (result i32)))
  (import "wasmote" "uart_read" (func $uart_read (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "aux")
  (data (i32.const 32) "read ")
  (func $read_and_log (param $u i32) (local $n i32)
    (local.set $n (call $uart_read (local.get $u) (i32.const 64) (i32.const 16)
      (i32.const -1)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (i32.store8 (i32.const 37) (i32.const 45))          ;; "-"
            (i32.store8 (i32.const 38) (i32.add (i32.const 48)
              (i32.sub (i32.const 0) (local.get $n))))
            (drop (call $log (i32.const 32) (i32.const 7))))
      (else (i32.store8 (i32.const 37) (i32.add (i32.const 48) (local.get $n)))
            (drop (call $log (i32.const 32) (i32.const 6))))))
  (func (export "run") (result i32) (local $u i32)
    (local.set $u (call $uart_open (i32.const 16) (i32.const 3)))
    (call $read_and_log (local.get $u))
    (call $read_and_log (local.get $u))
    (i32.const 0))
)
