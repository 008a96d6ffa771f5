#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine: apt packages, then npm packages.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium          # headless browser for the extension's UI tests
  docker-registry   # a real OCI registry on loopback for the image tests
  skopeo            # pushes test images into it
  apache2-utils     # htpasswd, for the basic-auth registry
  openssl           # keys and certificates for the token-auth registry
  zstd              # zstd-compressed test layers
  busybox-static    # the rootfs of test and demo images
  util-linux        # flock, for the image store's cross-process locks
  runc              # the OCI runtime native pods run on (crun is preferred where it works)
  crun
  conmon            # supervises each container: exit codes, CRI logs, exec, terminals
  catatonit         # the pause process holding a pod's namespaces
  passt             # pasta: outbound connectivity and port forwards for pods
  iproute2          # ip, for pod loopback and test network namespaces
  clang             # compiles the WebAssembly pods' test programs (C to wasm32-wasi)
  lld               # wasm-ld, clang's linker for wasm32
  wasi-libc         # the C library of WASI programs
  libclang-rt-14-dev-wasm32  # compiler builtins for wasm32
  openssh-server    # real sshd "remote hosts" on 127.0.1.N for the remote tests (openssh-client: ssh-agent, ssh-keygen)
  openssh-client
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
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

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.podsmith-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
