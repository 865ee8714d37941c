#!/bin/sh
# Record what independent tools say about every iOS fixture and corpus file, for the tests to
# compare inspector against:
#   profiles/<origin>--<file>[--<member>].xml  openssl cms -verify -noverify | plistutil -f xml
#                                              (plistutil -f xml alone for bare plists)
#   info/<origin>--<ipa>--<bundle>.xml         the bundle's Info.plist via plistutil -f xml
#   signatures/<origin>--<ipa>--<exe>.txt      every certificate in each CMS blob (0xfade0b01)
#                                              of the executable: openssl pkcs7 -print_certs,
#                                              then openssl x509 subject/serial/SHA-1/SHA-256
#   signatures/<origin>--<ipa>--<exe>.N.xml    each entitlements blob (0xfade7171) via plistutil
#   keys.txt                                   openssl x509 facts of the fixture certificates
#   errors.txt                                 exit status of openssl/plistutil on broken profiles
# The blobs are found with grep -obUaP on the magic (no Mach-O parser involved).
set -eu
cd "$(dirname "$0")"
HERE=$(pwd)
FIX=$HERE/../../../fixtures/ios
CORPUS=${CORPUS:-$HERE/../../../../shared/corpus/ios}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rm -rf profiles info signatures
mkdir -p profiles info signatures

# profile_xml IN OUT: the plist inside a profile (or the bare plist) as XML
# The plist goes through plistutil's binary form and back: XML to XML, plistutil copies the
# input unchanged (malformed base64 included) instead of re-encoding what it decoded. plistutil
# exits 0 even when it fails: success is an output file, and an XML one ends with </plist>.
profile_xml() {
    rm -f "$T/p.plist" "$T/p.bin" "$T/p.xml"
    if openssl cms -verify -noverify -inform DER -in "$1" -out "$T/p.plist" 2>/dev/null; then
        plistutil -i "$T/p.plist" -f bin -o "$T/p.bin" >/dev/null 2>&1
    else
        plistutil -i "$1" -f bin -o "$T/p.bin" >/dev/null 2>&1
    fi
    [ -s "$T/p.bin" ] || return 1
    plistutil -i "$T/p.bin" -f xml -o "$T/p.xml" >/dev/null 2>&1
    grep -q '</plist>' "$T/p.xml" 2>/dev/null || return 1
    mv "$T/p.xml" "$2"
}

x509_facts() {
    openssl x509 -in "$1" -noout -nameopt RFC2253 -subject -serial -enddate \
        -fingerprint -sha1
    openssl x509 -in "$1" -noout -fingerprint -sha256
}

# record_signature IPA MEMBER OUT: the certificates of every CMS blob and each entitlements blob
record_signature() {
    unzip -p "$1" "$2" > "$T/exe"
    out=$3
    : > "$out.txt"
    for off in $(LC_ALL=C grep -obUaP '\xfa\xde\x0b\x01' "$T/exe" | cut -d: -f1); do
        len=$((0x$(xxd -s $((off + 4)) -l 4 -p "$T/exe")))
        [ "$len" -gt 8 ] || continue
        dd if="$T/exe" of="$T/cms" bs=1 skip=$((off + 8)) count=$((len - 8)) 2>/dev/null
        openssl pkcs7 -inform DER -in "$T/cms" -print_certs 2>/dev/null \
            | awk -v d="$T" '/BEGIN CERT/{n++; p=1} p{print > (d "/cert" n ".pem")} /END CERT/{p=0}'
        for c in "$T"/cert*.pem; do
            [ -f "$c" ] || continue
            echo "blob at $off" >> "$out.txt"
            x509_facts "$c" >> "$out.txt"
            rm -f "$c"
        done
    done
    n=0
    for off in $(LC_ALL=C grep -obUaP '\xfa\xde\x71\x71' "$T/exe" | cut -d: -f1); do
        len=$((0x$(xxd -s $((off + 4)) -l 4 -p "$T/exe")))
        dd if="$T/exe" of="$T/ent" bs=1 skip=$((off + 8)) count=$((len - 8)) 2>/dev/null
        plistutil -i "$T/ent" -f xml -o "$out.$n.xml" >/dev/null 2>&1 || rm -f "$out.$n.xml"
        n=$((n + 1))
    done
}

: > errors.txt
for dir in "$FIX" "$CORPUS"; do
    origin=fixture
    [ "$dir" = "$CORPUS" ] && origin=corpus
    for f in "$dir"/*.mobileprovision "$dir"/*.provisionprofile; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        if profile_xml "$f" "profiles/$origin--$name.xml" 2>/dev/null; then
            :
        else
            rm -f "profiles/$origin--$name.xml"
            set +e
            openssl cms -verify -noverify -inform DER -in "$f" -out /dev/null 2>/dev/null
            o=$?
            set -e
            rm -f "$T/p.bin"
            plistutil -i "$f" -f bin -o "$T/p.bin" >/dev/null 2>&1 || true
            p=failed
            [ -s "$T/p.bin" ] && p=ok
            echo "$origin--$name openssl=$o plistutil=$p" >> errors.txt
        fi
    done
    for ipa in "$dir"/*.ipa; do
        name=$(basename "$ipa")
        unzip -Z1 "$ipa" 2>/dev/null | grep -v '^__MACOSX/' > "$T/names" || continue
        grep -E '(^|/)Payload/.*\.(app|appex|framework)/Info\.plist$' "$T/names" > "$T/plists" || true
        while read -r member; do
            folder=${member%Info.plist}
            slug=$(printf '%s' "$folder" | sed 's|/$||; s|/|_|g')
            # Storyboards carry an Info.plist too: keep bundle folders only.
            case "$folder" in *.storyboardc/) continue ;; esac
            unzip -p "$ipa" "$member" > "$T/info"
            plistutil -i "$T/info" -f xml -o "info/$origin--$name--$slug.xml" >/dev/null 2>&1
            if grep -qx "${folder}embedded.mobileprovision" "$T/names"; then
                unzip -p "$ipa" "${folder}embedded.mobileprovision" > "$T/prof"
                profile_xml "$T/prof" "profiles/$origin--$name--$slug.xml"
            fi
            exe=$(plistutil -i "$T/info" -f xml | grep -A1 '<key>CFBundleExecutable</key>' \
                | sed -n 's|.*<string>\(.*\)</string>.*|\1|p')
            [ -n "$exe" ] && grep -qx "$folder$exe" "$T/names" || continue
            record_signature "$ipa" "$folder$exe" "signatures/$origin--$name--$slug--$exe"
        done < "$T/plists"
        # Bare dylibs in Frameworks/ are signed code too.
        grep -E '(^|/)Payload/.*\.app/Frameworks/[^/]+\.dylib$' "$T/names" | while read -r member; do
            slug=$(printf '%s' "${member%/*}" | sed 's|/|_|g')
            record_signature "$ipa" "$member" "signatures/$origin--$name--$slug--${member##*/}"
        done
    done
done

: > keys.txt
for k in dist dev other signer; do
    echo "key $k" >> keys.txt
    x509_facts "$FIX/keys/$k.pem" >> keys.txt
done
echo "reference outputs written"
