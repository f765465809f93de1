#!/usr/bin/env bash
# Makes sure the Debian `postgresql` package is installed, for the *.pg.test.ts suite
# (node scripts/test.mjs pg). Tests start their own throwaway server from these binaries;
# nothing here starts or configures a cluster.
set -euo pipefail

have_binaries() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' > /dev/null && command -v setpriv > /dev/null
}

if ! have_binaries; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "pg-testenv: PostgreSQL is not installed and this is not root; run: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql util-linux > /dev/null
fi

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
echo "pg-testenv: using $("$bin/postgres" --version) from $bin"
