// The test program every wasm pod test runs, compiled at test time with
//   clang --target=wasm32-wasi -O2 tool.c -o tool.wasm
// argv[1] picks what it does; output is line-buffered so each line reaches the log when printed.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

static int cat(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  setvbuf(stderr, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "echo";

  if (!strcmp(mode, "echo")) {
    // argv and env as the runtime passed them, then a line on stderr.
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *g = getenv("GREETING");
    printf("GREETING=%s\n", g ? g : "(unset)");
    fprintf(stderr, "this goes to stderr\n");
    return 0;
  }
  if (!strcmp(mode, "cat")) return cat(argv[2]);
  if (!strcmp(mode, "write")) {
    // write PATH TEXT: 0 when written, 1 with the reason otherwise.
    FILE *f = fopen(argv[2], "w");
    if (!f) {
      printf("write %s failed: %s\n", argv[2], strerror(errno));
      return 1;
    }
    fprintf(f, "%s", argv[3]);
    fclose(f);
    printf("wrote %s\n", argv[2]);
    return 0;
  }
  if (!strcmp(mode, "symlink")) {
    // symlink TARGET LINK: 0 when made, 1 with the reason otherwise.
    if (symlink(argv[2], argv[3]) != 0) {
      printf("symlink %s failed: %s\n", argv[3], strerror(errno));
      return 1;
    }
    printf("linked %s -> %s\n", argv[3], argv[2]);
    return 0;
  }
  if (!strcmp(mode, "relink")) {
    // relink PATH TARGET: replaces PATH with a symlink to TARGET.
    unlink(argv[2]);
    if (symlink(argv[3], argv[2]) != 0) {
      printf("relink %s failed: %s\n", argv[2], strerror(errno));
      return 1;
    }
    printf("relinked %s -> %s\n", argv[2], argv[3]);
    return 0;
  }
  if (!strcmp(mode, "uplinks")) {
    // uplinks DIR N: DIR/a -> ".", DIR/u1 -> "a/..", DIR/uK -> "u<K-1>/..". Each target stays inside DIR as
    // text, but the kernel resolves ".." after following the link before it: DIR/uN is N levels above DIR.
    char link[512], target[512];
    int n = atoi(argv[3]);
    snprintf(link, sizeof link, "%s/a", argv[2]);
    if (symlink(".", link) != 0) {
      printf("symlink %s failed: %s\n", link, strerror(errno));
      return 1;
    }
    for (int k = 1; k <= n; k++) {
      if (k == 1) snprintf(target, sizeof target, "a/..");
      else snprintf(target, sizeof target, "u%d/..", k - 1);
      snprintf(link, sizeof link, "%s/u%d", argv[2], k);
      if (symlink(target, link) != 0) {
        printf("symlink %s failed: %s\n", link, strerror(errno));
        return 1;
      }
    }
    printf("made %s/u%d\n", argv[2], n);
    return 0;
  }
  if (!strcmp(mode, "forge")) {
    // forge NAME TEXT GO DIR...: once the file GO exists, writes TEXT to DIR/<entry>/NAME for every entry
    // of every DIR it can, says where, then sleeps (its own exit would make the supervisor write again).
    while (!file_exists(argv[4])) nap_ms(20);
    for (int a = 5; a < argc; a++) {
      DIR *d = opendir(argv[a]);
      if (!d) continue;
      struct dirent *e;
      while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/%s", argv[a], e->d_name, argv[2]);
        FILE *f = fopen(path, "w");
        if (!f) continue;
        fprintf(f, "%s", argv[3]);
        fclose(f);
        printf("forged %s\n", path);
      }
      closedir(d);
    }
    printf("forging done\n");
    for (;;) nap_ms(1000);
  }
  if (!strcmp(mode, "exit")) {
    int code = atoi(argv[2]);
    printf("exiting with %d\n", code);
    return code;
  }
  if (!strcmp(mode, "serve")) {
    // A long-running container: says so, then sleeps (no CPU, no fuel) until stopped.
    printf("serving\n");
    for (;;) nap_ms(1000);
  }
  if (!strcmp(mode, "tick")) {
    // tick MS: a numbered line every MS milliseconds, forever.
    long ms = argc > 2 ? atol(argv[2]) : 50;
    for (long i = 1;; i++) {
      printf("tick %ld\n", i);
      nap_ms(ms);
    }
  }
  if (!strcmp(mode, "spin")) {
    // Burns instructions forever: only the fuel (or the CPU budget) ends it.
    volatile unsigned long n = 0;
    printf("spinning\n");
    for (;;) n++;
  }
  if (!strcmp(mode, "alloc")) {
    // alloc MIB: allocates and touches 1 MiB blocks, reporting each.
    int want = atoi(argv[2]);
    for (int i = 1; i <= want; i++) {
      char *volatile p = malloc(1 << 20);
      if (!p) {
        printf("malloc failed after %d MiB\n", i - 1);
        return 2;
      }
      memset(p, i, 1 << 20);
      printf("allocated %d MiB\n", i);
    }
    return 0;
  }
  if (!strcmp(mode, "wait")) {
    // wait PATH: sleeps until PATH exists, then exits with the number written in it.
    while (!file_exists(argv[2])) nap_ms(20);
    FILE *f = fopen(argv[2], "r");
    int code = 0;
    if (f) {
      if (fscanf(f, "%d", &code) != 1) code = 0;
      fclose(f);
    }
    printf("%s appeared: exiting with %d\n", argv[2], code);
    return code;
  }
  if (!strcmp(mode, "append")) {
    // append PATH TEXT: adds a line (init containers leave a trace of their order this way).
    FILE *f = fopen(argv[2], "a");
    if (!f) {
      printf("append %s failed: %s\n", argv[2], strerror(errno));
      return 1;
    }
    fprintf(f, "%s\n", argv[3]);
    fclose(f);
    printf("appended %s\n", argv[3]);
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 64;
}
