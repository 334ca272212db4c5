;; Publishes on "sensors/flood" as fast as its fuel allows: the device must bound what
;; leaves it (WM_BRIDGE_OUT_PER_S) and count the rest as dropped.
(module
  (import "wasmote" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "sensors/flood")
  (func (export "_start")
    (loop $l
      (drop (call $publish (i32.const 0) (i32.const 13) (i32.const 0) (i32.const 1)))
      (br $l))))
