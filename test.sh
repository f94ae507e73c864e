#!/bin/sh
# Every test: install what is missing, build, run the whole meson suite.
# Extra arguments go to `meson test` (e.g. --suite unit).
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
exec meson test -C build --print-errorlogs --num-processes 2 "$@"
