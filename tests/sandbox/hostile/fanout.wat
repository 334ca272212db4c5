;; Publication fan-out: `sub` subscribes to four patterns (three long ones that never match
;; before "t/*"); `flood(n)` publishes a 32-byte topic with 64 bytes of data n times.
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "wasmote" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "t/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
  (data (i32.const 32) "baaaaaaaaaaaaaaaaaaaaaaaaaaaaa/*")
  (data (i32.const 64) "caaaaaaaaaaaaaaaaaaaaaaaaaaaaa/*")
  (data (i32.const 96) "daaaaaaaaaaaaaaaaaaaaaaaaaaaaa/*")
  (data (i32.const 128) "t/*")
  (func (export "sub") (result i32)
    (i32.or
      (i32.or (call $subscribe (i32.const 32) (i32.const 32))
              (call $subscribe (i32.const 64) (i32.const 32)))
      (i32.or (call $subscribe (i32.const 96) (i32.const 32))
              (call $subscribe (i32.const 128) (i32.const 3)))))
  (func (export "flood") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (drop (call $publish (i32.const 0) (i32.const 32) (i32.const 256) (i32.const 64)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i)))
