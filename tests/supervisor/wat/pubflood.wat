;; A hostile publisher: "t/flood" as fast as its slices allow, forever, to keep every
;; subscriber's queue full.
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "t/flood")
  (func (export "_start")
    (loop $l
      (drop (call $publish (i32.const 0) (i32.const 7) (i32.const 16) (i32.const 1)))
      (br $l))))
