#!/usr/bin/env bash
# Records `apksigner verify -v --min-sdk-version 24` for every v1-only test APK of AOSP apksig
# (../shared/vectors/apksig/v1-only-*.apk): the JAR-signature cases apksig's own tests cover
# (every digest and signature algorithm, DSA/ECDSA/RSA keys, multiple signers, odd entry names,
# broken manifests and signature files). API 24 keeps the verdict about the JAR rules alone: below
# it apksigner also refuses algorithms older platforms lack, which inspector does not model.
# One line per APK in verdicts.txt: "<file> <Verifies|DOES-NOT-VERIFY> <v1 line or ->".
# The other v1 vectors (v1-*.apk but v1-only-*: several digest algorithms in one manifest, a v1
# APK with a signing block) are recorded twice in verdicts-min-sdk.txt, at the APK's own minSdk
# (apksigner's default) and at 24: below API 18 Android also checks the first digest
# Digest-Algorithms names. Lines "<file> <own|24> <Verifies|DOES-NOT-VERIFY>".
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VECTORS=$(cd "$HERE/../../../.." && pwd)/../shared/vectors/apksig
export LC_ALL=C
[ -d "$VECTORS" ] || { echo "record.sh: $VECTORS missing" >&2; exit 1; }
out=$HERE/verdicts.txt
: > "$out"
for f in "$VECTORS"/v1-only-*.apk; do
    text=$(apksigner verify -v --min-sdk-version 24 "$f" 2>&1 || true)
    if printf '%s\n' "$text" | grep -q '^Verifies$'; then verdict=Verifies; else verdict=DOES-NOT-VERIFY; fi
    v1=$(printf '%s\n' "$text" | grep -m1 '^Verified using v1 scheme' | sed 's/.*: //' || true)
    echo "$(basename "$f") $verdict ${v1:--}" >> "$out"
done
wc -l < "$out"
out=$HERE/verdicts-min-sdk.txt
: > "$out"
for f in "$VECTORS"/v1-*.apk; do
    case $(basename "$f") in v1-only-*) continue ;; esac
    for level in own 24; do
        args=(verify -v)
        [ "$level" = own ] || args+=(--min-sdk-version "$level")
        if apksigner "${args[@]}" "$f" 2>&1 | grep -q '^Verifies$'; then verdict=Verifies
        else verdict=DOES-NOT-VERIFY; fi
        echo "$(basename "$f") $level $verdict" >> "$out"
    done
done
wc -l < "$out"
