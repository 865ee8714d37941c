#!/usr/bin/env bash
# Records the install-readiness references of tests/test_layout.py:
#   NAME.zipalign4.txt      `zipalign -c -v 4 FILE`      every fixture and corpus APK
#   NAME.zipalign16384.txt  `zipalign -c -v 16384 FILE`  (Debian's zipalign has no -P: a 16 KB
#                                                        alignment checks every stored entry)
#   NAME.readelf.txt        `readelf -lW` of every lib/**.so of every fixture and corpus APK and
#                           AAB, each after a "## MEMBER" line (the library is unzipped to a
#                           temporary file to run readelf on it)
# NAME is fixture-<dir>-<file> (dir apk, apk-tampered, aab, aab-tampered) or corpus-<file>.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CORPUS=$ROOT/../shared/corpus/android
export LC_ALL=C
for tool in zipalign readelf unzip; do
    command -v "$tool" >/dev/null || { echo "record.sh: $tool not found" >&2; exit 1; }
done
rm -f "$HERE"/*.txt
LIB=$(mktemp)
trap 'rm -f "$LIB"' EXIT

record() {  # record NAME FILE
    local name=$1 file=$2 status member
    if [ "${file##*.}" = apk ]; then
        for n in 4 16384; do
            status=0
            (cd "$(dirname "$file")" && zipalign -c -v "$n" "$(basename "$file")" \
                > "$HERE/$name.zipalign$n.body" 2>&1) || status=$?
            { echo "# exit $status"; echo "# \$ zipalign -c -v $n $(basename "$file")"
              # zipalign's own log lines carry a time and a pid: drop them, keep the message.
              sed -E 's/^zip ([A-Z]) [0-9-]+ [0-9:.]+ +[0-9]+ +[0-9]+ /zip \1 /' \
                  "$HERE/$name.zipalign$n.body"; } > "$HERE/$name.zipalign$n.txt"
            rm -f "$HERE/$name.zipalign$n.body"
        done
    fi
    local libs
    libs=$(unzip -Z1 "$file" 2>/dev/null | grep -E '(^|/)lib/[^/]+/[^/]+\.so$' || true)
    [ -n "$libs" ] || return 0
    {
        echo "# \$ readelf -lW MEMBER   (each member of $(basename "$file") unzipped first)"
        while IFS= read -r member; do
            echo "## $member"
            unzip -p "$file" "$member" > "$LIB"
            readelf -lW "$LIB" 2>&1 | sed "s|$LIB|MEMBER|g" || true
        done <<< "$libs"
    } > "$HERE/$name.readelf.txt"
}

for f in "$ROOT"/fixtures/apk/*.apk "$ROOT"/fixtures/apk/tampered/*.apk \
         "$ROOT"/fixtures/aab/*.aab "$ROOT"/fixtures/aab/tampered/*.aab; do
    [ -f "$f" ] || continue
    dir=$(basename "$(dirname "$f")")
    [ "$dir" = tampered ] && dir=$(basename "$(dirname "$(dirname "$f")")")-tampered
    record "fixture-$dir-$(basename "$f")" "$f"
done
if [ -d "$CORPUS" ]; then
    for f in "$CORPUS"/*.apk "$CORPUS"/*.aab; do
        [ -f "$f" ] && record "corpus-$(basename "$f")" "$f"
    done
fi
ls "$HERE"/*.txt | wc -l
