;; Sums 0..n-1 in a loop (RUN "sum"); started, it sleeps forever so LIST sees it loaded.
(module
  (import "wasmote" "sleep_ms" (func $sleep (param i32) (result i32)))
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "_start")
    (loop $l (drop (call $sleep (i32.const 100000))) (br $l))))
