#!/usr/bin/env bash
# Records `jarsigner -verify -verbose` for every AAB fixture and every JAR-signed (v1) APK and AAB
# among the fixtures (fixtures/apk, fixtures/aab and their tampered/ folders) and the shared corpus
# (../shared/corpus/android, when present): the reference of tests/test_verify_jar.py.
# One file per archive, NAME.txt, with the exit status and the command on its first two lines.
# NAME is fixture-<dir>-<file> or corpus-<file>. The jar-* APKs of fixtures/apk/tampered also get
# NAME.apksigner.txt, `apksigner verify -v`: Android's own rules jarsigner does not apply (the
# X-Android-APK-Signed stripping protection).
#
# Android accepts JAR signatures with SHA-1, MD5 and any RSA key size; the JDK's default policy
# (jdk.jar.disabledAlgorithms) treats such jars as unsigned. The record runs jarsigner with that
# policy emptied (a properties file passed with -J-Djava.security.properties), so jarsigner
# checks what Android checks there instead of refusing the algorithm.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CORPUS=$ROOT/../shared/corpus/android
export TZ=UTC LC_ALL=C
command -v jarsigner >/dev/null || { echo "record.sh: jarsigner not found" >&2; exit 1; }
rm -f "$HERE"/*.txt
POLICY=$(mktemp)
trap 'rm -f "$POLICY"' EXIT
echo "jdk.jar.disabledAlgorithms=" > "$POLICY"

signed_v1() { unzip -Z1 "$1" 2>/dev/null | grep -iE '^META-INF/[^/]+\.SF$' >/dev/null; }

record() {  # record NAME FILE
    local out=$HERE/$1.txt status=0
    (cd "$(dirname "$2")" && jarsigner -J-Djava.security.properties="$POLICY" -verify -verbose \
        "$(basename "$2")" > "$out.body" 2>&1) \
        || status=$?
    { echo "# exit $status"; echo "# \$ jarsigner -J-Djava.security.properties=<jdk.jar.disabledAlgorithms= > -verify -verbose $(basename "$2")"
      cat "$out.body"; } > "$out"
    rm -f "$out.body"
}

for f in "$ROOT"/fixtures/aab/*.aab "$ROOT"/fixtures/aab/tampered/*.aab \
         "$ROOT"/fixtures/apk/*.apk "$ROOT"/fixtures/apk/tampered/*.apk; do
    [ -f "$f" ] || continue
    case $f in *.apk) signed_v1 "$f" || continue ;; esac
    dir=$(basename "$(dirname "$f")")
    [ "$dir" = tampered ] && dir=$(basename "$(dirname "$(dirname "$f")")")-tampered
    record "fixture-$dir-$(basename "$f")" "$f"
done
for f in "$ROOT"/fixtures/apk/tampered/jar-*.apk; do
    [ -f "$f" ] || continue
    out=$HERE/fixture-apk-tampered-$(basename "$f").apksigner.txt status=0
    (cd "$(dirname "$f")" && apksigner verify -v "$(basename "$f")" > "$out.body" 2>&1) || status=$?
    { echo "# exit $status"; echo "# \$ apksigner verify -v $(basename "$f")"; cat "$out.body"; } > "$out"
    rm -f "$out.body"
done
if [ -d "$CORPUS" ]; then
    for f in "$CORPUS"/*.apk "$CORPUS"/*.aab; do
        [ -f "$f" ] && signed_v1 "$f" && record "corpus-$(basename "$f")" "$f"
    done
fi
ls "$HERE"/*.txt | wc -l
