# Sourced by scripts/cluster and scripts/bench: make sure dependencies are
# installed and the packages built, on a fresh machine too (no pnpm needed:
# npx fetches pnpm 10; corepack is not relied on).
# Sets REPO to the repository root. Never changes the caller's directory, so
# relative paths such as --data ./data keep meaning what the user typed.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ringkv_pnpm() {
  (cd "$REPO" && npx -y pnpm@10 "$@")
}

ensure_built() {
  if ! command -v node >/dev/null 2>&1; then
    echo "ringkv needs Node.js 20 or newer on the PATH" >&2
    exit 1
  fi
  if [ ! -d "$REPO/node_modules" ]; then
    echo "installing dependencies (first run) ..." >&2
    if [ -f "$REPO/pnpm-lock.yaml" ]; then
      ringkv_pnpm install --frozen-lockfile >&2
    else
      ringkv_pnpm install >&2
    fi
  fi
  local entry
  for entry in "$@"; do
    if [ ! -f "$REPO/$entry" ]; then
      echo "building ringkv ($entry is missing) ..." >&2
      ringkv_pnpm build >&2
      break
    fi
  done
  for entry in "$@"; do
    if [ ! -f "$REPO/$entry" ]; then
      # tsc -b trusts its build info and does not notice deleted outputs; rebuild everything.
      echo "rebuilding ringkv from scratch ($entry is still missing) ..." >&2
      ringkv_pnpm exec tsc -b packages/tsconfig.json --force >&2
      break
    fi
  done
  for entry in "$@"; do
    if [ ! -f "$REPO/$entry" ]; then
      echo "the build did not produce $entry" >&2
      exit 1
    fi
  done
}
