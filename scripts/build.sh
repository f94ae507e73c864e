#!/bin/sh
# Configure (once) and build libstream into ./build.  With LS_WERROR=1
# (the test command, hence CI) every warning is an error.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
    meson setup build "$@"
fi
if [ "${LS_WERROR:-0}" = 1 ]; then
    meson configure build -Dwerror=true >/dev/null
fi
ninja -C build
