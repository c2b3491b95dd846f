#!/usr/bin/env bash
# Prepares the outside programs some tests run, and prints the `export`
# lines that point the tests at them (tests/src/tools.rs reads them):
#
#   eval "$(tests/tools/setup.sh)"
#   AGENT_TESTS_REQUIRE_TOOLS=1 cargo test --workspace
#
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

# apt-get, as root or through sudo.
apt_get() {
  if [ "$(id -u)" -eq 0 ]; then
    apt-get "$@"
  else
    sudo apt-get "$@"
  fi
}

# redis-server, for the Redis idempotency store's tests (tests/redis_store.rs,
# tests/replicas.rs): the one on PATH, else Debian's package. The tests start
# their own servers on free loopback ports; a system service the package may
# start is not used.
redis_server() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "setup.sh: installing redis-server (Debian package redis-server)" >&2
    apt_get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt_get install -y -qq redis-server >&2
  fi
  local path
  path="$(command -v redis-server)"
  echo "setup.sh: redis-server is $path ($("$path" --version | cut -d' ' -f3))" >&2
  printf 'export REDIS_SERVER=%q\n' "$path"
}

redis_server
