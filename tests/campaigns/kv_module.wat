;; The power-cut campaign's key-value writer (a package with the `kv` capability).
;; put(k, v): key "keyK" := 8 bytes of v, then v % 193 bytes each equal to v's low byte.
;; put_all(v): put(k, v + k) for the 8 keys, one after the other (a burst that makes the
;; store compact often).
;; get(k) -> (v, length): v as written, or -1 (no such key), or -2 (the value read back is
;; not of that shape: a torn write would show here).
(module
  (import "wasmote" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "kv_set" (func $kv_set (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "key0key1key2key3key4key5key6key7")
  (func $put (export "put") (param $k i32) (param $v i64) (result i32)
    (local $n i32)
    (local.set $n (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 193))))
    (i64.store (i32.const 1024) (local.get $v))
    (memory.fill (i32.const 1032) (i32.wrap_i64 (local.get $v)) (local.get $n))
    (call $kv_set (i32.shl (local.get $k) (i32.const 2)) (i32.const 4)
                  (i32.const 1024) (i32.add (i32.const 8) (local.get $n))))
  (func (export "put_all") (param $v i64) (result i32)
    (local $k i32) (local $rc i32)
    (block $done
      (loop $next
        (local.set $rc (call $put (local.get $k)
                                  (i64.add (local.get $v) (i64.extend_i32_u (local.get $k)))))
        (br_if $done (local.get $rc))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $k) (i32.const 8)))))
    (local.get $rc))
  (func (export "get") (param $k i32) (result i64 i32)
    (local $len i32) (local $i i32) (local $b i32)
    (local.set $len (call $kv_get (i32.shl (local.get $k) (i32.const 2)) (i32.const 4)
                                  (i32.const 2048) (i32.const 1024)))
    (if (i32.eq (local.get $len) (i32.const -4))
      (then (return (i64.const -1) (i32.const 0))))
    (if (i32.lt_s (local.get $len) (i32.const 8))
      (then (return (i64.const -2) (local.get $len))))
    (local.set $b (i32.load8_u (i32.const 2048)))
    (local.set $i (i32.const 8))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.ne (i32.load8_u (i32.add (i32.const 2048) (local.get $i))) (local.get $b))
          (then (return (i64.const -2) (local.get $len))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i64.load (i32.const 2048))
    (local.get $len)))
