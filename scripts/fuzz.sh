#!/bin/bash
# Build the libFuzzer targets (tests/fuzz) with ASan+UBSan and run each for
# a bounded time on a copy of its seed corpus.  Exit 1 when any target
# crashes (also a leak, an UBSan report, a timeout or a failed property).
#
#   scripts/fuzz.sh                  every target, FUZZ_SECONDS each
#   scripts/fuzz.sh csv s3xml        only these targets
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_JOBS     targets run at once (default 2)
#   FUZZ_BUILD    build directory (default build-fuzz)
#   FUZZ_SAVE     directory that keeps each target's grown corpus
#                 (FUZZ_SAVE/<target>/): read at the start, written at the
#                 end, so successive runs resume where the last one stopped
#   FUZZ_ARGS     extra libFuzzer flags for every target
# Targets run 2 at a time, so all of them take about
# ceil(N/2) * FUZZ_SECONDS.  Crash inputs are kept in
# $FUZZ_BUILD/fuzz-artifacts/<target>/.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
SECONDS_PER=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-2}
BUILD=${FUZZ_BUILD:-build-fuzz}
SAVE=${FUZZ_SAVE:-}
EXTRA=${FUZZ_ARGS:-}

case $SECONDS_PER in ''|*[!0-9]*) echo "fuzz.sh: FUZZ_SECONDS must be a number" >&2; exit 2;; esac
case $JOBS in ''|*[!0-9]*|0) echo "fuzz.sh: FUZZ_JOBS must be a number >= 1" >&2; exit 2;; esac

if [ $# -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=()
    for f in tests/fuzz/fuzz_*.c; do
        t=${f#tests/fuzz/fuzz_}
        TARGETS+=("${t%.c}")
    done
fi
for t in "${TARGETS[@]}"; do
    if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
        echo "fuzz.sh: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2
        exit 2
    fi
done

# ---- build ----------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
    command -v clang >/dev/null || { echo "fuzz.sh: clang is required" >&2; exit 2; }
    echo "fuzz.sh: configuring $BUILD"
    opts=(-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false)
    if ! CC=clang meson setup "$BUILD" "${opts[@]}" -Dtools=false \
            -Dexamples=false >"$BUILD.setup.log" 2>&1; then
        # Some trees need the tools configured (tests/integration refers
        # to them); they are configured, not built: only the fuzz targets
        # are built below.
        rm -rf "$BUILD"
        if ! CC=clang meson setup "$BUILD" "${opts[@]}" \
                >"$BUILD.setup.log" 2>&1; then
            cat "$BUILD.setup.log" >&2
            echo "fuzz.sh: meson setup failed" >&2
            exit 2
        fi
    fi
    rm -f "$BUILD.setup.log"
fi
ninja_targets=()
for t in "${TARGETS[@]}"; do ninja_targets+=("tests/fuzz/fuzz_$t"); done
if ! ninja -C "$BUILD" -j"${FUZZ_BUILD_JOBS:-1}" "${ninja_targets[@]}" >"$BUILD/fuzz-build.log" 2>&1; then
    tail -40 "$BUILD/fuzz-build.log" >&2
    echo "fuzz.sh: build failed (log: $BUILD/fuzz-build.log)" >&2
    exit 2
fi

# ---- run ------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ls-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Run one target; leaves $WORK/<t>/rc and log.
run_one() {
    local t=$1 d=$WORK/$1
    mkdir -p "$d/corpus" "$d/artifacts"
    cp tests/fuzz/corpus/"$t"/* "$d/corpus/" 2>/dev/null
    if [ -n "$SAVE" ] && [ -d "$SAVE/$t" ]; then
        cp "$SAVE/$t/"* "$d/corpus/" 2>/dev/null
    fi
    # shellcheck disable=SC2086
    timeout -k 10 $((SECONDS_PER + 120)) "$ROOT/$BUILD/tests/fuzz/fuzz_$t" \
        -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$d/artifacts/" $EXTRA \
        "$d/corpus" >"$d/log" 2>&1
    echo $? >"$d/rc"
}

running=0
for t in "${TARGETS[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait

# ---- report ---------------------------------------------------------------
fail=0
printf '%-16s %-6s %12s %8s %7s %7s %12s\n' target result executions exec/s cov ft corpus
for t in "${TARGETS[@]}"; do
    d=$WORK/$t
    rc=$(cat "$d/rc" 2>/dev/null || echo 99)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log" | tail -1)
    # The last status line: "#N  DONE  cov: C ft: F corp: K/S ..."
    last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$d/log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
    result=ok
    if [ "$rc" != 0 ] || ls "$d/artifacts/"* >/dev/null 2>&1; then
        result=CRASH
        fail=1
    fi
    printf '%-16s %-6s %12s %8s %7s %7s %12s\n' "fuzz_$t" "$result" \
        "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$corp"
    if [ "$result" = CRASH ]; then
        keep=$BUILD/fuzz-artifacts/$t
        mkdir -p "$keep"
        cp "$d/artifacts/"* "$keep/" 2>/dev/null
        cp "$d/log" "$keep/log"
        echo "---- fuzz_$t (exit $rc); inputs and log in $keep/" >&2
        grep -E 'ERROR:|SUMMARY:|runtime error|property failed|Test unit written' "$d/log" | head -10 >&2
    fi
    if [ -n "$SAVE" ]; then
        mkdir -p "$SAVE/$t"
        cp "$d/corpus/"* "$SAVE/$t/" 2>/dev/null
    fi
done
exit $fail
