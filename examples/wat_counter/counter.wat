;; counter: counts boots in the key-value store and logs "boot N". Written by hand in WAT
;; to show a module needs no C compiler: any wasm producer works.
(module
  (import "wasmote" "log" (func $log (param i32 i32) (result i32)))
  (import "wasmote" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "boots")     ;; the key, 5 bytes
  (data (i32.const 16) "boot ")    ;; the log line starts here, digits follow at 21
  ;; the counter value is kept at offset 8 (4 bytes, little-endian as in the store)

  ;; Number of decimal digits of an unsigned value (pure: no host calls).
  (func $digits (export "digits") (param $n i32) (result i32)
    (local $d i32)
    (local.set $d (i32.const 1))
    (block $done
      (loop $more
        (br_if $done (i32.lt_u (local.get $n) (i32.const 10)))
        (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $more)))
    (local.get $d))

  (func (export "run") (result i32)
    (local $count i32) (local $len i32) (local $i i32) (local $n i32)
    ;; A missing key (WM_E_NOTFOUND) or an odd-sized value counts as zero boots.
    (if (i32.eq (call $kv_get (i32.const 0) (i32.const 5) (i32.const 8) (i32.const 4))
                (i32.const 4))
      (then (local.set $count (i32.load (i32.const 8)))))
    (local.set $count (i32.add (local.get $count) (i32.const 1)))
    (i32.store (i32.const 8) (local.get $count))
    (drop (call $kv_set (i32.const 0) (i32.const 5) (i32.const 8) (i32.const 4)))
    ;; Write the digits backwards after "boot ".
    (local.set $len (call $digits (local.get $count)))
    (local.set $n (local.get $count))
    (local.set $i (local.get $len))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 21) (local.get $i))
                  (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $write (i32.gt_s (local.get $i) (i32.const 0))))
    (drop (call $log (i32.const 16) (i32.add (i32.const 5) (local.get $len))))
    (local.get $count)))
