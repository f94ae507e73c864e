#!/bin/sh
# Every test: install what is missing, build (warnings are errors), run
# the whole meson suite; then the sanitizer run (ASan+LSan+UBSan build,
# whole suite again, any report fails: scripts/sanitize.sh) and the bounded
# fuzz runs (each libFuzzer target for FUZZ_SECONDS, default 60:
# scripts/fuzz.sh).  Ends with one line per stage and a closing
# "N passed, N failed" for the main suite.
#
#   LS_QUICK=1 ./test.sh      the main suite only
#   ./test.sh --suite unit    extra arguments go to `meson test`
set -eu
cd "$(dirname "$0")"
# Read the meson log of build dir $1: "failures" prints each failed test's
# name and the end of its log (CI shows only the tail of the output, and
# the sanitizer and fuzz stages print a lot after the main suite, so these
# are repeated at the very end); "summary" prints "N passed, N failed".
testlog() {
    python3 - "$1" "$2" <<'PY'
import json, sys
build, mode = sys.argv[1], sys.argv[2]
passed = failed = skipped = 0
for line in open(build + "/meson-logs/testlog.json"):
    r = json.loads(line)
    if r.get('result') in ('OK', 'EXPECTEDFAIL'):
        passed += 1
        continue
    if r.get('result') == 'SKIP':
        skipped += 1
        continue
    failed += 1
    if mode == 'failures':
        print("---- FAILED in %s: %s (%s, %.1f s); last lines of its output:"
              % (build, r.get('name'), r.get('result'),
                 r.get('duration') or 0))
        out = (r.get('stdout') or '') + (r.get('stderr') or '')
        for l in out.splitlines()[-25:]:
            print("  | " + l[:300])
if mode == 'summary':
    print("%d passed, %d failed%s" % (passed, failed,
          ", %d skipped" % skipped if skipped else ""))
PY
}
scripts/install-deps.sh
LS_WERROR=1 scripts/build.sh
set +e
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
failures=$(testlog build failures)
summary=$(testlog build summary)
stages=""
if [ "${LS_QUICK:-0}" != 1 ]; then
    scripts/sanitize.sh "$@"
    s=$?
    [ $s -eq 0 ] || failures="$failures
$(testlog build-asan failures)"
    stages="${stages}sanitizers (ASan+LSan+UBSan, whole suite): $([ $s -eq 0 ] && echo clean || echo FAILED)
"
    [ $s -eq 0 ] || rc=1
    scripts/fuzz.sh
    s=$?
    stages="${stages}fuzzing (${FUZZ_SECONDS:-60} s per target): $([ $s -eq 0 ] && echo no crash || echo FAILED)
"
    [ $s -eq 0 ] || rc=1
fi
set -e
printf '%s' "$stages"
[ -z "$failures" ] || printf '%s\n' "$failures"
echo "$summary"
exit $rc
