#!/bin/sh
# Installs the Debian packages aqrank needs to build, run and test, and only those missing.
# As root it calls apt-get directly; as a normal user it uses sudo when there is one.
set -eu
PKGS="gcc make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev check libcurl4-gnutls-dev zlib1g-dev \
libgnutls28-dev libsodium-dev libcairo2-dev libpango1.0-dev fonts-noto-cjk poppler-utils postgresql-15 postgresql-contrib python3 curl chromium fonts-wqy-microhei clang clang-format libclang-rt-14-dev valgrind"
[ -n "${AQ_EXTRA_PKGS:-}" ] && PKGS="$PKGS $AQ_EXTRA_PKGS"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install-deps: missing packages:$missing — run as root: apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y --no-install-recommends $missing; then
  $SUDO apt-get update
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $missing
fi
