#!/bin/sh
# Record plistutil's reading of every _CodeSignature/CodeResources of every iOS fixture and corpus
# IPA: the plist goes to plistutil's binary form and back to XML (XML to XML, plistutil copies its
# input unchanged), so each file below is what libplist decoded, not the input's own text.
#   <origin>--<ipa>--<member with / as _>.xml
set -eu
cd "$(dirname "$0")"
HERE=$(pwd)
FIX=$HERE/../../../fixtures/ios
CORPUS=${CORPUS:-$HERE/../../../../shared/corpus/ios}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rm -f ./*.xml
record() {
    origin=$1 ipa=$2
    unzip -Z1 "$ipa" 2>/dev/null | grep '_CodeSignature/CodeResources$' | while read -r member; do
        unzip -p "$ipa" "$member" > "$T/cr"
        plistutil -i "$T/cr" -f bin -o "$T/cr.bin" >/dev/null 2>&1
        plistutil -i "$T/cr.bin" -f xml -o "$T/cr.xml" >/dev/null 2>&1
        grep -q '</plist>' "$T/cr.xml"
        mv "$T/cr.xml" "$origin--$(basename "$ipa")--$(echo "$member" | tr / _).xml"
    done
}
for f in "$FIX"/*.ipa; do record fixture "$f"; done
if [ -d "$CORPUS" ]; then for f in "$CORPUS"/*.ipa; do record corpus "$f"; done; fi
ls ./*.xml | wc -l
