#!/bin/sh
# The main job, from a fresh Debian 12 machine: install what is missing,
# build, then run the end-to-end pipeline on the embedded broker.
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
exec build/examples/quickstart "$@"
