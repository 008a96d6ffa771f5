#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine: apt packages, then npm packages.
#   bash scripts/setup.sh pods   what running pods needs (the demo): the container tools and npm ci
#   bash scripts/setup.sh test   that plus what the tests need: a compiler for wasm, a registry, chromium, ...,
#                                and the unprivileged user the rootless tests run as
# No argument means `test` (everything). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-test}"
case "$profile" in
  pods | test) ;;
  *)
    echo "usage: bash scripts/setup.sh [pods|test]" >&2
    exit 2
    ;;
esac

# Running pods (podsmith run, the demo).
POD_PACKAGES=(
  runc              # the OCI runtime native pods run on (crun is preferred where it works)
  crun
  conmon            # supervises each container: exit codes, CRI logs, exec, terminals
  catatonit         # the pause process holding a pod's namespaces
  passt             # pasta: outbound connectivity and port forwards for pods
  iproute2          # ip, for pod loopback and test network namespaces
  util-linux        # flock (the image store's cross-process locks), nsenter, unshare
  busybox-static    # the built-in image podsmith.local/busybox:1, and test images
  uidmap            # newuidmap/newgidmap: a user's rootless pods get their subordinate ids (/etc/subuid)
)

# Only the tests.
TEST_PACKAGES=(
  clang             # compiles the WebAssembly pods' test programs (C to wasm32-wasi)
  lld               # wasm-ld, clang's linker for wasm32
  wasi-libc         # the C library of WASI programs
  libclang-rt-14-dev-wasm32  # compiler builtins for wasm32
  docker-registry   # a real OCI registry on loopback for the image tests
  skopeo            # pushes test images into it
  apache2-utils     # htpasswd, for the basic-auth registry
  openssl           # keys and certificates for the token-auth registry
  zstd              # zstd-compressed test layers
  file              # tells a static busybox from a dynamic one (the bundle tests run it under runc)
  chromium          # headless browser for the extension's UI tests
  podman            # the peer `npm run bench` measures pods against (rootful and rootless)
  qemu-system-x86   # microVM pods (pod-microvm-containers): QEMU's microvm machine
  squashfs-tools    # mksquashfs packs the microVM guest's read-only tools image
  openssh-server    # real sshd "remote hosts" on 127.0.1.N for the remote tests (openssh-client: ssh-agent, ssh-keygen)
  openssh-client
)

# The user the rootless tests and the rootless demo run as (scripts/run-tests-rootless.mjs, demo.sh --user).
TEST_USER=podsmith-test

packages=("${POD_PACKAGES[@]}")
if [ "$profile" = test ]; then packages+=("${TEST_PACKAGES[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to apt-get install ${missing[*]} (run with sudo)" >&2
    exit 1
  fi
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rootless pods' outbound network: pasta opens /dev/net/tun as the user. udev makes it 0666 on a standard
# Debian system (50-udev-default.rules); a machine without udev leaves the kernel's 0600.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ] && [ "$(id -u)" -eq 0 ]; then
  echo "setup: chmod 0666 /dev/net/tun (as udev does), for rootless pods' network"
  chmod 0666 /dev/net/tun
fi

# An unprivileged user with a subordinate id range, for the rootless tests (useradd gives new users a range
# from /etc/login.defs; a user made before uidmap was installed may lack one).
if [ "$profile" = test ] && [ "$(id -u)" -eq 0 ]; then
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    echo "setup: useradd $TEST_USER (rootless tests)"
    useradd --create-home --shell /bin/bash "$TEST_USER"
  fi
  if ! grep -q "^$TEST_USER:" /etc/subuid || ! grep -q "^$TEST_USER:" /etc/subgid; then
    # 65,536 ids after every range already given out.
    start=$(awk -F: '{ e = $2 + $3; if (e > m) m = e } END { print (m > 100000 ? m : 100000) }' /etc/subuid /etc/subgid)
    echo "setup: subordinate ids $start-$((start + 65535)) for $TEST_USER"
    usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$TEST_USER"
  fi
fi

# npm ci only when the lockfile changed since the last install (the build needs the dev dependencies too).
# A linked node_modules is another checkout's install (a git worktree's): npm ci would empty its target.
stamp=node_modules/.podsmith-lock-stamp
if [ -L node_modules ]; then
  echo "setup: node_modules is a link to $(readlink node_modules): npm ci left to that checkout"
elif [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
