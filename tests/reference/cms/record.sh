#!/usr/bin/env bash
# Records what openssl says of every CMS fixture (fixtures/cms/*.p7): `openssl cms -verify
# -noverify -binary` (signatures and message digests only, no chain), against the content it was
# signed over and against a tampered copy (an encapsulated blob is checked over its own content).
# Writes verdicts.txt next to this script: "<blob> <content> <Verification successful|failure>".
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIX=$HERE/../../../fixtures/cms
export LC_ALL=C
out=$HERE/verdicts.txt
: > "$out"
for blob in "$FIX"/*.p7; do
    name=$(basename "$blob")
    if openssl cms -cmsout -inform DER -in "$blob" -print | grep -q 'eContent: <ABSENT>'; then
        contents="content.bin content-tampered.bin"
    else
        contents="-"
    fi
    for content in $contents; do
        args=(cms -verify -noverify -binary -inform DER -in "$blob" -out /dev/null)
        [ "$content" = - ] || args+=(-content "$FIX/$content")
        if openssl "${args[@]}" 2>/dev/null; then verdict="Verification successful"
        else verdict=failure; fi
        echo "$name $content $verdict" >> "$out"
    done
done
cat "$out"
