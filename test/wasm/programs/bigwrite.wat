;; One fd_write of 544 MiB of zero bytes to stdout: more than V8's longest string (2^29 - 24 characters), so a
;; supervisor that turns one write into one string fails. The exit code says what the call reported:
;; 0 a short write of at most 1 MiB, 1 the whole buffer written in one call, 2 an error.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 8720)
  (func (export "_start")
    (local $n i32)
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 570425344))
    (if (i32.ne (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 0))
      (then (call $exit (i32.const 2))))
    (local.set $n (i32.load (i32.const 8)))
    (if (i32.and (i32.gt_u (local.get $n) (i32.const 0)) (i32.le_u (local.get $n) (i32.const 1048576)))
      (then (call $exit (i32.const 0))))
    (call $exit (i32.const 1))))
