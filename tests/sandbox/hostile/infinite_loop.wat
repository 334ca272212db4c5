;; Spins forever: stopped by the fuel of one slice.
(module
  (func (export "run") (loop $l (br $l))))
