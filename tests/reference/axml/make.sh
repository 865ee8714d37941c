#!/usr/bin/env bash
# Records aapt2's view of every standalone binary XML file in ../shared/corpus/axml/: each is put
# alone into a zip as AndroidManifest.xml (aapt2 reads binary XML only from inside an archive) and
# dumped with `aapt2 dump xmltree --file AndroidManifest.xml`. Output: <file name>.xmltree.txt,
# first line "# exit N" (aapt2's exit code), then aapt2's stdout+stderr.
# Needs: aapt (aapt2), zip. Usage: tests/reference/axml/make.sh (CORPUS=... overrides the corpus).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CORPUS=${CORPUS:-$(cd "$ROOT/.." && pwd)/shared/corpus}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for xml in "$CORPUS"/axml/*.xml; do
    name=$(basename "$xml")
    rm -rf "$TMP/z" "$TMP/one.zip"; mkdir "$TMP/z"
    cp "$xml" "$TMP/z/AndroidManifest.xml"
    (cd "$TMP/z" && zip -q -X ../one.zip AndroidManifest.xml)
    rc=0
    text=$(cd "$TMP" && aapt2 dump xmltree --file AndroidManifest.xml one.zip 2>&1) || rc=$?
    { printf '# exit %d\n' "$rc"; printf '%s\n' "$text"; } > "$HERE/$name.xmltree.txt"
done
