#!/bin/sh
# Records `apksigner verify -v --print-certs` for every APK given, as one TSV line per file:
#   file  min-sdk-flag  verdict  schemes  first-error
# verdict is "verifies", "does-not-verify" or "refused" (apksigner could not judge the file);
# schemes lists the schemes apksigner says it verified with (v1,v2,v3,v3.1), "-" for none;
# min-sdk-flag is "-" or the N of `--min-sdk-version N`, added when apksigner refuses the file
# because it cannot read the app's own minSdk from AndroidManifest.xml (N is aapt2's sdkVersion,
# or 1 when aapt2 cannot read it either).
#
#   tests/reference/apksigner/record.sh OUT.tsv FILE.apk...
# Run from the repository root: tests/reference/apksigner/make.sh re-records every set.
set -eu
out=$1; shift
: > "$out.tmp"
printf '# %s\n' "$(apksigner version 2>/dev/null | head -1 | sed 's/^/apksigner /')" >> "$out.tmp"
printf '# $ apksigner verify -v --print-certs [--min-sdk-version N] FILE\n' >> "$out.tmp"
for f in "$@"; do
  flag=-
  text=$(apksigner verify -v --print-certs "$f" 2>&1 || true)
  if ! printf '%s\n' "$text" | grep -qx 'Verifies\|DOES NOT VERIFY' &&
     printf '%s' "$text" | grep -q -- '--min-sdk-version\|AndroidManifest.xml\|minSdkVersion'; then
    flag=$(aapt2 dump badging "$f" 2>/dev/null | sed -n "s/^sdkVersion:'\([0-9]*\)'.*/\1/p" | head -1)
    [ -n "$flag" ] || flag=1
    text=$(apksigner verify -v --print-certs --min-sdk-version "$flag" "$f" 2>&1 || true)
  fi
  if printf '%s\n' "$text" | grep -qx 'Verifies'; then verdict=verifies
  elif printf '%s\n' "$text" | grep -qx 'DOES NOT VERIFY'; then verdict=does-not-verify
  else verdict=refused
  fi
  schemes=$(printf '%s\n' "$text" | sed -n \
    -e 's/^Verified using v1 scheme.*: true$/v1/p' \
    -e 's/^Verified using v2 scheme.*: true$/v2/p' \
    -e 's/^Verified using v3 scheme.*: true$/v3/p' \
    -e 's/^Verified using v3.1 scheme.*: true$/v3.1/p' | paste -sd, -)
  [ -n "$schemes" ] || schemes=-
  error=$(printf '%s\n' "$text" | grep -m1 '^ERROR' | cut -c1-600 | tr '\t' ' ' || true)
  printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$flag" "$verdict" "$schemes" "${error:--}" >> "$out.tmp"
done
mv "$out.tmp" "$out"
