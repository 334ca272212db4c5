;; Fills its key-value quota: fill(vlen) sets the 4-byte keys 0, 1, 2, ... to vlen-byte
;; values until kv_set fails; returns (keys set, the error). count(n) returns how many of the
;; keys 0..n-1 read back; put(k, vlen) sets one key.
(module
  (import "wasmote" "kv_set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (func (export "fill") (param $vlen i32) (result i32 i32)
    (local $i i32) (local $r i32)
    (block $done
      (loop $l
        (i32.store (i32.const 0) (local.get $i))
        (local.set $r (call $set (i32.const 0) (i32.const 4) (i32.const 16) (local.get $vlen)))
        (br_if $done (i32.ne (local.get $r) (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i) (local.get $r))
  (func (export "count") (param $n i32) (result i32)
    (local $i i32) (local $ok i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.const 0) (local.get $i))
        (if (i32.ge_s (call $get (i32.const 0) (i32.const 4) (i32.const 512) (i32.const 256))
                      (i32.const 0))
          (then (local.set $ok (i32.add (local.get $ok) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $ok))
  (func (export "put") (param $k i32) (param $vlen i32) (result i32)
    (i32.store (i32.const 0) (local.get $k))
    (call $set (i32.const 0) (i32.const 4) (i32.const 16) (local.get $vlen))))
