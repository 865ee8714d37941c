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
