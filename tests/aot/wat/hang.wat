(module
  (func $forever (loop $l (br $l)))
  (start $forever)
)
