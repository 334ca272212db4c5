;; A start function that never returns: it runs at instantiation with one slice of fuel,
;; then the install is refused.
(module
  (func $spin (loop $l (br $l)))
  (start $spin))
