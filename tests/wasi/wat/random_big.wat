;; One random_get of 64 KiB (the device fills it 64 bytes a slice, yielding between
;; pieces), then the count of zero bytes in it: about 256 when every piece was filled.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "zeros") (result i32)
    (local $p i32) (local $zeros i32)
    (if (call $random_get (i32.const 1024) (i32.const 65536))
      (then (return (i32.const -1))))
    (local.set $p (i32.const 1024))
    (loop $next
      (if (i32.eqz (i32.load8_u (local.get $p)))
        (then (local.set $zeros (i32.add (local.get $zeros) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $p) (i32.const 66560))))
    (local.get $zeros)))
