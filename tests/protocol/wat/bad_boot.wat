;; An autostart module that traps at boot: the device must keep going.
(module
  (func (export "_start") unreachable))
