#!/bin/sh
# Re-records the apksigner references: the committed fixtures, the tampered fixtures, and (when
# ../shared is there) the shared corpus and apksig's own test vectors. Run from the repo root.
set -eu
here=tests/reference/apksigner
"$here/record.sh" "$here/fixtures.tsv" fixtures/apk/*.apk fixtures/apk/tampered/*.apk
if [ -d ../shared/corpus/android ]; then
  "$here/record.sh" "$here/corpus.tsv" ../shared/corpus/android/*.apk
fi
if [ -d ../shared/vectors/apksig ]; then
  "$here/record.sh" "$here/vectors.tsv" ../shared/vectors/apksig/*.apk
fi
# The fixture whose verdict is the app's SDK range's: apksigner's whole output for its own range
# (minSdk 24: v1 is not verified) and for API 23 and newer (v1 is).
f=fixtures/apk/tampered/v1-key-usage-minsdk24.apk
for min in "" 23; do
  out=$here/$(basename "$f")${min:+.min-sdk-$min}.txt
  { printf '# $ apksigner verify -v --print-certs%s %s\n' "${min:+ --min-sdk-version $min}" "$(basename "$f")"
    apksigner verify -v --print-certs ${min:+--min-sdk-version "$min"} "$f" 2>&1 || true; } > "$out"
done
