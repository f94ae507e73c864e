#!/bin/sh
# docs/configuration.md is generated from the property table: it must match.
. "$(dirname "$0")/lib.sh"
: "${LS_SRC:?}"
"$BIN/ls-produce" -X list=md >"$TMP/configuration.md"
diff -u "$LS_SRC/docs/configuration.md" "$TMP/configuration.md" ||
    fail "docs/configuration.md is stale: regenerate with ls-produce -X list=md"
ok "docs/configuration.md matches the property table"
