;; Hangs the firmware itself (a test image's fault-injection host function): only the
;; watchdog gets the device back.
(module
  (import "wasmote" "fault_hang" (func $hang))
  (func (export "_start") (call $hang)))
