;; Makes the CPU fault inside the firmware (test images only).
(module
  (import "wasmote" "fault_crash" (func $crash))
  (func (export "_start") (call $crash)))
