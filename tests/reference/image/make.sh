#!/usr/bin/env bash
# Records what independent image tools say about the images inspector reads icon sizes from: the
# expected values of tests/test_image.py and of the icon-size tests on APK, AAB and IPA.
#
#     identify.txt        ImageMagick identify -format '%f %m %w %h' on every fixtures/image file
#     file.txt            file(1) on every fixtures/image file
#     webpinfo.txt        webpinfo on every fixtures/image WebP (which chunk: VP8, VP8L, VP8X)
#     pngcheck.txt        pngcheck -v on every fixtures/image PNG
#     members.txt         file(1) and identify on icon members of fixtures and corpus files, one
#                         "<archive> <member>: file: <file -b> | identify: <%m %w %h>" a line (file
#                         knows Apple's CgBI PNGs, which identify and pngcheck refuse; identify knows
#                         WebP sizes). Which members:
#                         - webp-icon.apk, adaptive-icon.apk, android.apk, minimal_orig.apk (the
#                           icon fixtures, and corpus apps whose badging names only their adaptive
#                           XML): every file aapt2 dump resources lists for mipmap/ic_launcher, but
#                           the XML;
#                         - every other APK fixture and corpus APK: the raster files named by aapt2
#                           dump badging's application-icon lines;
#                         - bundle-signed.aab, android.aab: base/res/mipmap-*/ic_launcher*;
#                         - development.ipa, ipad.ipa: every PNG at the top of the app bundle.
#
# Every file starts with "# $ command" lines; the tools run inside the image's directory on bare
# file names, so no machine path gets in. Members are piped out with unzip -p into a temporary file
# named after the member's base name.
#
# Needs: apt-get install -y --no-install-recommends imagemagick webp pngcheck file unzip aapt
# Usage: tests/reference/image/make.sh   (from any directory; CORPUS=... overrides the corpus path)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
IMAGES=$ROOT/fixtures/image
CORPUS=${CORPUS:-$(cd "$ROOT/.." && pwd)/shared/corpus}
export LC_ALL=C.UTF-8 TZ=UTC
IDENTIFY=identify-im6.q16

cd "$IMAGES"
{ echo "# \$ $IDENTIFY -format '%f %m %w %h\\n' *.png *.webp *.jpg"
  $IDENTIFY -format '%f %m %w %h\n' ./*.png ./*.webp ./*.jpg; } > "$HERE/identify.txt"
{ echo '# $ file *.png *.webp *.jpg'; file ./*.png ./*.webp ./*.jpg | sed 's|^\./||'; } > "$HERE/file.txt"
{ for f in *.webp; do echo "# \$ webpinfo $f"; webpinfo "$f"; done; } > "$HERE/webpinfo.txt"
{ for f in *.png; do echo "# \$ pngcheck -v $f"; pngcheck -v "$f"; done; } > "$HERE/pngcheck.txt"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# members ARCHIVE LABEL MEMBER...: one file(1) line per member.
members() {
    local archive=$1 label=$2 member
    shift 2
    for member in "$@"; do
        unzip -p "$archive" "$member" > "$TMP/$(basename "$member")"
        local out=$TMP/$(basename "$member") seen
        seen=$($IDENTIFY -format '%m %w %h' "$out" 2>/dev/null) || seen="(cannot read it)"
        printf '%s %s: file: %s | identify: %s\n' "$label" "$member" "$(file -b "$out")" "$seen"
        rm -f "$TMP/$(basename "$member")"
    done
}
# apk_icons APK: the files aapt2 lists under mipmap/ic_launcher (not the XML).
apk_icons() {
    aapt2 dump resources "$1" 2>/dev/null \
        | awk '/ mipmap\/ic_launcher$/ {on=1; next} /^ *resource / {on=0} on && /\(file\)/ {print $3}' \
        | grep -v '\.xml$'
}
zip_members() {  # zip_members ARCHIVE REGEX
    unzip -Z1 "$1" | grep -E "$2" | LC_ALL=C sort
}
{
    echo "# \$ file -b <member>; $IDENTIFY -format '%m %w %h' <member>: for each icon member (see make.sh)"
    for apk in "$ROOT"/fixtures/apk/webp-icon.apk "$ROOT"/fixtures/apk/adaptive-icon.apk \
               "$CORPUS"/android/android.apk "$CORPUS"/android/minimal_orig.apk; do
        [ -f "$apk" ] || continue
        mapfile -t list < <(apk_icons "$apk")
        members "$apk" "$(basename "$apk")" "${list[@]}"
    done
    # Every other APK fixture and corpus APK: the raster files aapt2 dump badging's
    # application-icon-<dpi> lines name.
    for apk in "$ROOT"/fixtures/apk/*.apk "$CORPUS"/android/*.apk; do
        case $(basename "$apk") in webp-icon.apk|adaptive-icon.apk|android.apk|minimal_orig.apk) continue ;; esac
        mapfile -t list < <(aapt2 dump badging "$apk" 2>/dev/null \
            | sed -n "s/^application-icon-[0-9]*:'\(.*\)'$/\1/p" | grep -v '\.xml$' | awk '!seen[$0]++')
        [ "${#list[@]}" -eq 0 ] || members "$apk" "$(basename "$apk")" "${list[@]}"
    done
    for aab in "$ROOT"/fixtures/aab/bundle-signed.aab "$CORPUS"/android/android.aab; do
        mapfile -t list < <(zip_members "$aab" '^base/res/mipmap-[^/]+/ic_launcher[^/]*\.(png|webp|jpg)$')
        members "$aab" "$(basename "$aab")" "${list[@]}"
    done
    for ipa in "$ROOT"/fixtures/ios/development.ipa "$CORPUS"/ios/ipad.ipa; do
        mapfile -t list < <(zip_members "$ipa" '^Payload/[^/]+\.app/[^/]+\.png$')
        members "$ipa" "$(basename "$ipa")" "${list[@]}"
    done
} > "$HERE/members.txt"
