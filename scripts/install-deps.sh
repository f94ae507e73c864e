#!/bin/sh
# Install what libstream needs on Debian 12 (clang + libclang-rt for the
# sanitizer and fuzz builds, valgrind, promtool from prometheus, chromium
# and chromedriver for the browser test), idempotently: nothing is
# downloaded when everything is already there.  Run as root (or via sudo).
set -eu

APT_PACKAGES="build-essential meson ninja-build pkg-config python3
librdkafka-dev libcurl4-openssl-dev libcjson-dev libcmocka-dev zlib1g-dev
libssl-dev libmicrohttpd-dev kcat curl hyperfine time bc awscli
clang libclang-rt-14-dev valgrind prometheus chromium chromium-driver"

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

# Node.js and npm (for s3rver): Debian's packages when none is installed.
if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: installing nodejs npm" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

# s3rver, the S3-compatible server the tests run on 127.0.0.1.
S3RVER_DIR=/opt/libstream-test/s3rver
S3RVER_VERSION=3.7.1
if [ "$("$S3RVER_DIR/node_modules/.bin/s3rver" --version 2>/dev/null)" != "$S3RVER_VERSION" ]; then
    echo "install-deps: installing s3rver@$S3RVER_VERSION into $S3RVER_DIR" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO mkdir -p "$S3RVER_DIR"
    $SUDO npm install --prefix "$S3RVER_DIR" --no-audit --no-fund --omit=dev \
        "s3rver@$S3RVER_VERSION" >/dev/null
else
    echo "install-deps: s3rver $S3RVER_VERSION present" >&2
fi
