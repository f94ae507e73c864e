#!/bin/sh
# Install what libstream needs on Debian 12, idempotently: nothing is
# downloaded when everything is already there.  Run as root (or via sudo).
set -eu

APT_PACKAGES="build-essential meson ninja-build pkg-config python3
librdkafka-dev libcurl4-openssl-dev libcjson-dev libcmocka-dev zlib1g-dev
libssl-dev libmicrohttpd-dev kcat curl hyperfine time bc"

missing=""
for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
else
    echo "install-deps: all Debian packages present" >&2
fi
