#!/bin/sh
# Headless-browser test of the monitor page (lib/monitor_page.html) against
# the fake /api/stats server with 200 partitions.
# Usage: tests/monitor/test_page.sh [PARTITIONS]   (default 200)
set -u
here=$(cd "$(dirname "$0")" && pwd)
parts=${1:-200}
for f in /usr/bin/chromium /usr/bin/chromedriver; do
    if [ ! -x "$f" ]; then echo "SKIP: $f not installed"; exit 77; fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ls-monitor-page.XXXXXX")
srv_pid=
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

python3 "$here/fake_stats_server.py" --port 0 --partitions "$parts" >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
port=
i=0
while [ $i -lt 100 ]; do
    port=$(head -n 1 "$tmp/server.out" 2>/dev/null)
    [ -n "$port" ] && break
    if ! kill -0 "$srv_pid" 2>/dev/null; then
        echo "FAIL: fake_stats_server.py exited:"; cat "$tmp/server.err"; exit 1
    fi
    sleep 0.1; i=$((i + 1))
done
if [ -z "$port" ]; then echo "FAIL: fake_stats_server.py did not report its port"; exit 1; fi

shot="$tmp/dashboard-$parts.png"
python3 "$here/browser_check.py" "http://127.0.0.1:$port" "$shot" --min-draws 3 --expect-partitions "$parts"
rc=$?
echo "screenshot: $shot"
exit $rc
