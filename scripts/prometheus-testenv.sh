#!/usr/bin/env bash
# Makes sure a real Prometheus is installed for the *.prom.test.ts suite (Debian package,
# binary /usr/bin/prometheus). Tests start their own instance with a temporary config on a
# free loopback port; the packaged service is never used.
set -euo pipefail

if [ -x /usr/bin/prometheus ]; then
  /usr/bin/prometheus --version 2>&1 | head -n 1
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "prometheus is missing and installing it needs root: apt-get install -y prometheus" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
/usr/bin/prometheus --version 2>&1 | head -n 1
