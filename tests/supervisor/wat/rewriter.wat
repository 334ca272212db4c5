;; Rewrites one key ("k", a 4-byte counter) as fast as it can: the wear attack of issue 14
;; item 9. _start rewrites until kv_set fails, then returns; big does the same with 256-byte
;; values. rewrite(n) does at most n rewrites and returns (rewrites done, the error that
;; stopped it or 0). refill(ms) rewrites until refused, sleeps ms, rewrites until refused
;; again and returns (rewrites after the sleep, ms from the first refusal to the second).
(module
  (import "wasmote" "kv_set" (func $set (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "time_ms" (func $now (result i64)))
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "k")
  (global $v (mut i32) (i32.const 0))
  (global $len (mut i32) (i32.const 4))
  (func $put (result i32)
    (global.set $v (i32.add (global.get $v) (i32.const 1)))
    (i32.store (i32.const 16) (global.get $v))
    (call $set (i32.const 0) (i32.const 1) (i32.const 16) (global.get $len)))
  (func $rewrite (export "rewrite") (param $n i32) (result i32 i32)
    (local $i i32) (local $r i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $r (call $put))
        (br_if $done (local.get $r))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i) (local.get $r))
  (func (export "_start")
    (drop (drop (call $rewrite (i32.const -1)))))
  (func (export "big")
    (global.set $len (i32.const 256))
    (drop (drop (call $rewrite (i32.const -1)))))
  (func (export "refill") (param $ms i32) (result i32 i32)
    (local $t0 i64) (local $n i32)
    (drop (drop (call $rewrite (i32.const -1))))
    (local.set $t0 (call $now))
    (drop (call $sleep (local.get $ms)))
    (call $rewrite (i32.const -1))
    (drop)
    (local.set $n)
    (local.get $n)
    (i32.wrap_i64 (i64.sub (call $now) (local.get $t0)))))
