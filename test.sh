#!/bin/sh
# Every test: install what is missing, build, run the whole meson suite,
# then print one closing line "N passed, N failed[, N skipped]".
# Extra arguments go to `meson test` (e.g. --suite unit).
set -eu
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
set +e
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
set -e
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get('result')
    if r in ('OK', 'EXPECTEDFAIL'):
        passed += 1
    elif r == 'SKIP':
        skipped += 1
    else:
        failed += 1
print("%d passed, %d failed%s" % (passed, failed,
      ", %d skipped" % skipped if skipped else ""))
PY
exit $rc
