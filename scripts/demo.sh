#!/usr/bin/env bash
# The demo: Podsmith's main job, for real, on the built-in default image. Installs what running pods needs
# (scripts/setup.sh pods: no compiler, registry or browser), builds, then
#   1. lints the bundled examples (a clean folder, a broken one with every mistake found),
#   2. runs a two-container pod (examples/demo/hello-pod.yaml) on runc/crun under conmon,
#   3. shows it (ps, describe), reads its logs, execs into it, stops it and deletes it.
# It uses a PODSMITH_HOME of its own and leaves nothing running (the daemon it starts is stopped at the end).
#
# Rootless: a user who is not root runs it as is (once root has run `bash scripts/setup.sh pods`), or root
# runs it for them: `bash scripts/demo.sh --user NAME` installs and builds as root, then runs the demo as NAME
# (their pods run in their user namespace; see README "Rootless").
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --user ]; then
  user="${2:?usage: bash scripts/demo.sh [--user NAME]}"
  if [ "$(id -u)" -ne 0 ]; then echo "demo: --user is for root (it switches to $user with runuser)" >&2; exit 2; fi
  bash scripts/setup.sh pods >/dev/null
  npm run --silent build
  if ! runuser -u "$user" -- test -r dist/podsmith.js -a -r scripts/demo.sh; then
    echo "demo: $user cannot read this checkout ($(pwd)); use a checkout every user can read" >&2
    exit 1
  fi
  home=$(getent passwd "$user" | cut -d: -f6)
  exec runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$PATH" LANG="${LANG:-C.UTF-8}" PODSMITH_DEMO_BUILT=1 bash scripts/demo.sh
fi

if [ "${PODSMITH_DEMO_BUILT:-}" != 1 ]; then
  bash scripts/setup.sh pods >/dev/null
  npm run --silent build
fi
echo "(running as $(id -un), uid $(id -u)$([ "$(id -u)" -ne 0 ] && echo ': rootless pods, in your user namespace'))"
podsmith() { node dist/podsmith.js "$@"; }
step() { printf '\n\033[1m$ podsmith %s\033[0m\n' "$*"; }

export PODSMITH_HOME
PODSMITH_HOME="$(mktemp -d /tmp/podsmith-demo-XXXXXX)"
cleanup() {
  node dist/podsmith.js rm -f hello >/dev/null 2>&1 || true
  node dist/podsmith.js daemon stop >/dev/null 2>&1 || true
  # A rootless home holds files of the user's subordinate ids: removed from inside the user's namespace.
  node dist/podsmith.js unshare rm -rf "$PODSMITH_HOME" 2>/dev/null || rm -rf "$PODSMITH_HOME"
}
trap cleanup EXIT

echo "== 1. Check manifests =="
step lint examples/good
podsmith lint examples/good
step lint examples/broken
set +e
podsmith lint examples/broken
code=$?
set -e
echo "(exit code $code: errors found)"
if [ "$code" -ne 1 ]; then echo "demo: expected exit code 1 for the broken examples" >&2; exit 1; fi
step lint examples/unrelated-compose.yaml "  # not a manifest: left alone"
podsmith lint examples/unrelated-compose.yaml

echo
echo "== 2. Run a real pod (PODSMITH_HOME=$PODSMITH_HOME) =="
step lint examples/demo/hello-pod.yaml
podsmith lint examples/demo/hello-pod.yaml
step run -f examples/demo/hello-pod.yaml
podsmith run -f examples/demo/hello-pod.yaml
step ps -o wide
podsmith ps -o wide

echo
echo "== 3. Work with it =="
# The ticker writes a line a second: wait (at most 10 s) for the third.
for _ in $(seq 50); do
  podsmith logs hello -c ticker | grep -q 'tick 3' && break
  sleep 0.2
done
step logs hello -c ticker --tail 3
podsmith logs hello -c ticker --tail 3
step "exec hello -c web -- wget -qO- http://127.0.0.1:8080/"
# httpd may take a moment to listen after the container starts: retry inside the pod for up to 5 s.
podsmith exec hello -c web -- sh -c 'for i in $(seq 25); do wget -qO- http://127.0.0.1:8080/ 2>/dev/null && exit 0; sleep 0.2; done; exit 1'
step "exec hello -c ticker -- sh -c 'hostname; exit 3'"
set +e
podsmith exec hello -c ticker -- sh -c 'hostname; exit 3'
code=$?
set -e
echo "(exec returned the command's exit code: $code)"
if [ "$code" -ne 3 ]; then echo "demo: expected exec to return 3" >&2; exit 1; fi
step describe hello
podsmith describe hello

echo
echo "== 4. Stop and delete =="
step stop hello
podsmith stop hello
step rm hello
podsmith rm hello
step ps -a
podsmith ps -a
echo
echo "Demo done: the pod ran, answered, logged, stopped and is gone."
