;; proc_raise against the supervisor: SIGSTOP (WASI 18), then SIGKILL (WASI 9). node:wasi passes both to
;; raise(3) in the supervisor process itself, which would stop or kill every container of the pod. A line on
;; stdout between the two shows the module went on after SIGSTOP.
(module
  (import "wasi_snapshot_preview1" "proc_raise" (func $raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "after SIGSTOP\n")
  (func (export "_start")
    (drop (call $raise (i32.const 18)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 14))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $raise (i32.const 9)))))
