#!/usr/bin/env bash
# Records what the independent tools say about the diff pairs (fixtures/diff/*.apk, *.ipa): the
# expected values tests/test_diff.py compares against.
#
#     <name>.badging.txt   aapt2 dump badging (APKs): permissions with maxSdkVersion, the
#                          uses-permission-sdk-23 lines, uses-gl-es, versions, SDK levels
#     <name>.certs.txt     apksigner verify -v --print-certs (APKs): the signers' SHA-256
#     <name>.lineage.txt   apksigner lineage -v --print-certs (APKs with a v3 lineage): each
#                          certificate with its capabilities (installed data...)
#     <name>.zipinfo.txt   zipinfo -l: every member with its uncompressed and compressed size
#                          (<name>-aab / <name>-ipa for the App Bundle and the IPAs)
#
# Each file starts with "# exit N" and "# $ command", then the tool's output (2>&1); the tools run
# in fixtures/diff on the bare file name, so no machine path is recorded.
# Usage: tests/reference/diff/make.sh   (from any directory), after fixtures/diff/make.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIXTURES=$(cd "$HERE/../../../fixtures/diff" && pwd)
export LC_ALL=C.UTF-8 TZ=UTC

run() {
    local out=$1 rc=0 text
    shift
    text=$(cd "$FIXTURES" && "$@" 2>&1) || rc=$?
    { printf '# exit %d\n# $ %s\n' "$rc" "$*"; [ -z "$text" ] || printf '%s\n' "$text"; } > "$HERE/$out"
    return "$rc"
}

rm -f "$HERE"/*.txt
for apk in "$FIXTURES"/*.apk; do
    name=$(basename "$apk" .apk)
    run "$name.badging.txt" aapt2 dump badging "$name.apk"
    run "$name.certs.txt" apksigner verify -v --print-certs "$name.apk"
    run "$name.lineage.txt" apksigner lineage -v --print-certs --in "$name.apk" \
        || rm -f "$HERE/$name.lineage.txt"
    run "$name.zipinfo.txt" zipinfo -l "$name.apk"
done
for aab in "$FIXTURES"/*.aab; do
    name=$(basename "$aab" .aab)
    run "$name-aab.zipinfo.txt" zipinfo -l "$name.aab"
done
for ipa in "$FIXTURES"/*.ipa; do
    name=$(basename "$ipa" .ipa)
    run "$name-ipa.zipinfo.txt" zipinfo -l "$name.ipa"
done
ls "$HERE"
