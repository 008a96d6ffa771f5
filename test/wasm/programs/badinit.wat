;; Valid, links, but cannot be instantiated: its data segment lies past the end of its one-page memory.
(module
  (memory (export "memory") 1)
  (data (i32.const 70000) "out of bounds")
  (func (export "_start")))
