#!/usr/bin/env bash
# The VS Code tests, end to end: toolchain setup, build, extension-host suite, UI test, the packaged .vsix
# installed into code-server (its UI test runs a real pod from the extension's own engine), and the editor demo. Exits non-zero on any failure; the last line is `vscode: N passed, M failed`.
#   PODSMITH_VSCODE_SKIP_VSIX=1   skip packaging and the .vsix check
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
mkdir -p test-results
passed=0
failed=0
log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

# Adds the counts from a step's `label: N passed, M failed` line; a step that printed none counts as one failure.
count() {
  local out="$1" line
  line="$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)"
  if [ -z "$line" ]; then
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + $(sed -E 's/^[a-z-]+: ([0-9]+) passed.*/\1/' <<<"$line")))
  failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
}

finish() {
  echo "vscode: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "${1:-0}" -eq 0 ]
  exit $?
}

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
t0=$SECONDS
if ! bash "$here/setup.sh"; then
  failed=$((failed + 1))
  finish 1
fi
echo "(setup: $((SECONDS - t0)) s)"

step "build"
if ! node scripts/build.mjs || ! node "$here/build-suite.mjs"; then
  failed=$((failed + 1))
  finish 1
fi

status=0
step "extension-host tests"
t0=$SECONDS
node "$here/run.mjs" 2>&1 | tee "$log/ext.out"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
count "$log/ext.out"
echo "(extension-host tests: $((SECONDS - t0)) s)"

step "UI test"
t0=$SECONDS
node "$here/ui.mjs" 2>&1 | tee "$log/ui.out"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
count "$log/ui.out"
echo "(UI test: $((SECONDS - t0)) s)"

if [ -z "${PODSMITH_VSCODE_SKIP_VSIX:-}" ]; then
  step "packaged extension (.vsix)"
  t0=$SECONDS
  vsix="$repo/test-results/podsmith.vsix"
  # `npm run package` without its build (done above): it also checks that the engine and koffi went in.
  if node scripts/package.mjs --no-build --out "$vsix" </dev/null 2>&1 | tee "$log/vsce.out" \
    && [ -f "$vsix" ]; then
    node "$here/ui.mjs" --vsix "$vsix" 2>&1 | tee "$log/vsix.out"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    count "$log/vsix.out"
    step "scripts/demo-editor.sh (the packaged extension in code-server, stopped with Ctrl-C)"
    node "$here/demo-editor.mjs" --vsix "$vsix" 2>&1 | tee "$log/demo.out"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    count "$log/demo.out"
  else
    echo "vsce package failed"
    failed=$((failed + 1))
    status=1
  fi
  echo "(.vsix: $((SECONDS - t0)) s)"
fi

finish "$status"
