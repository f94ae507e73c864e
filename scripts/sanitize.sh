#!/bin/sh
# The sanitizer run: build libstream with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer into ./build-asan (warnings are
# errors), run the whole unit and integration suite there, and fail on any
# failed test or any sanitizer report -- also from tools that ran in the
# background of a test and whose exit status the test did not look at:
# every report goes to a log file, and any log file fails the run.
# Extra arguments go to `meson test` (e.g. --suite unit).
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Dwerror=true \
        -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-asan
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/ls-sanitize.XXXXXX")
# Third-party leaks only (see the file); our code has no suppression.
SUPP="$(pwd)/tests/lsan.supp"
ASAN_OPTIONS="log_path=$LOGS/asan:detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
LSAN_OPTIONS="suppressions=$SUPP:print_suppressions=0"
UBSAN_OPTIONS="log_path=$LOGS/ubsan:print_stacktrace=1:halt_on_error=1"
# Tests skip what a sanitizer makes meaningless (memory bounds) and build
# their own programs with the same runtime.
LS_SANITIZE=address,undefined
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS LS_SANITIZE
set +e
meson test -C build-asan --print-errorlogs --num-processes 2 \
    --timeout-multiplier 3 "$@"
rc=$?
set -e
reports=$(find "$LOGS" -type f | wc -l)
if [ "$reports" -gt 0 ]; then
    for f in "$LOGS"/*; do
        echo "---- sanitizer report $f" >&2
        head -n 60 "$f" >&2
    done
    echo "sanitize: $reports sanitizer report(s)" >&2
    rc=1
else
    echo "sanitize: no sanitizer report"
fi
rm -rf "$LOGS"
exit $rc
