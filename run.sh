#!/bin/sh
# The main job, from a fresh Debian 12 machine: install what is missing,
# build, then run the order pipeline (ls-demo) on the embedded broker.
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
exec build/tools/ls-demo "$@"
