#!/usr/bin/env bash
# Records what the independent tools say about every APK fixture (fixtures/apk/*.apk) and every
# corpus APK (../shared/corpus/android/*.apk and ../shared/corpus/axml/*.apk, named
# corpus-<file name without .apk>): the expected values the APK tests compare against.
#
#     <name>.badging.txt    aapt2 dump badging
#     <name>.certs.txt      apksigner verify -v --print-certs; when that fails, the same with
#                           --min-sdk-version 24 if that one verifies (a v2/v3-only APK whose minSdk
#                           is below 24), otherwise the failure of the plain command
#     <name>.xmltree.txt    aapt2 dump xmltree --file AndroidManifest.xml (the raw attributes,
#                           e.g. testOnly, split, isFeatureSplit, platformBuildVersionCode)
#     <name>.lineage.txt    apksigner lineage -v --print-certs, only for APKs that carry a v3
#                           signing-certificate lineage
#     <name>.resources.txt  aapt2 dump resources, fixtures only (the label and icon per config)
#     sha256sums.txt        sha256sum and byte size of every APK above, one "sha256 size name" a line
#
# Every file starts with two comment lines, "# exit N" (the tool's exit code) and "# $ command",
# then the tool's stdout and stderr as printed together (2>&1). One edit: aapt2's Android log lines
# ("ziparchive W 11-28 00:43:53 14076 14076 Zip: ...") lose the date, time and pids, so that a
# rerun gives the same files. The tools run inside the APK's directory on its bare file name, so
# no machine path gets into the outputs.
#
# Needs: aapt (for aapt2) and apksigner from Debian (see fixtures/apk/make.sh).
# Usage: tests/reference/apk/make.sh   (from any directory; CORPUS=... overrides the corpus path)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
FIXTURES=$ROOT/fixtures/apk
CORPUS=${CORPUS:-$(cd "$ROOT/.." && pwd)/shared/corpus}
export LC_ALL=C.UTF-8 TZ=UTC

# run OUT APK COMMAND...: runs COMMAND (whose last word is the APK's bare name) in the APK's
# directory and writes OUT; returns the command's exit code.
run() {
    local out=$1 apk=$2 rc=0
    shift 2
    local text
    text=$(cd "$(dirname "$apk")" && "$@" 2>&1) || rc=$?
    text=$(printf '%s\n' "$text" \
        | sed -E 's/^([A-Za-z0-9_]+ [VDIWEF]) [0-9]{2}-[0-9]{2} [0-9:.]+ +[0-9]+ +[0-9]+ /\1 /')
    { printf '# exit %d\n# $ %s\n' "$rc" "$*"; [ -z "$text" ] || printf '%s\n' "$text"; } > "$out"
    return "$rc"
}

# record NAME APK KIND: writes the reference outputs for one APK (KIND: fixture or corpus).
record() {
    local name=$1 apk=$2 kind=$3 file
    file=$(basename "$apk")
    run "$HERE/$name.badging.txt" "$apk" aapt2 dump badging "$file" || true
    run "$HERE/$name.xmltree.txt" "$apk" aapt2 dump xmltree --file AndroidManifest.xml "$file" || true
    if ! run "$HERE/$name.certs.txt" "$apk" apksigner verify -v --print-certs "$file"; then
        local plain
        plain=$(cat "$HERE/$name.certs.txt")
        if ! run "$HERE/$name.certs.txt" "$apk" apksigner verify -v --print-certs --min-sdk-version 24 "$file"; then
            printf '%s\n' "$plain" > "$HERE/$name.certs.txt"
        fi
    fi
    rm -f "$HERE/$name.lineage.txt"
    run "$HERE/$name.lineage.txt" "$apk" apksigner lineage -v --print-certs --in "$file" \
        || rm -f "$HERE/$name.lineage.txt"
    if [ "$kind" = fixture ]; then
        run "$HERE/$name.resources.txt" "$apk" aapt2 dump resources "$file" || true
    fi
}

shopt -s nullglob
rm -f "$HERE"/*.txt
for apk in "$FIXTURES"/*.apk; do
    record "$(basename "$apk" .apk)" "$apk" fixture
done
[ -d "$CORPUS" ] || { echo "make.sh: no corpus at $CORPUS (set CORPUS=...)" >&2; exit 1; }
for apk in "$CORPUS"/android/*.apk "$CORPUS"/axml/*.apk; do
    # axml/AndroidManifest_ShortName.apk is the same file as android/'s: one name, same outputs.
    record "corpus-$(basename "$apk" .apk)" "$apk" corpus
done
# Fixture hashes change whenever fixtures/apk/make.sh runs (ec-signer.apk always: ECDSA is random).
{
    for apk in "$FIXTURES"/*.apk "$CORPUS"/android/*.apk "$CORPUS"/axml/*.apk; do
        case $apk in "$FIXTURES"/*) name=$(basename "$apk") ;; *) name=corpus-$(basename "$apk") ;; esac
        printf '%s %s %s\n' "$(sha256sum < "$apk" | cut -d' ' -f1)" "$(stat -c %s "$apk")" "$name"
    done
} | sort -u -k3,3 > "$HERE/sha256sums.txt"
ls "$HERE" | wc -l
