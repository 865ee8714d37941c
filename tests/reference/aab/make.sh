#!/usr/bin/env bash
# Records what the independent tools say about every AAB fixture (fixtures/aab/*.aab) and every
# corpus AAB (../shared/corpus/android/*.aab, named corpus-<file name without .aab>): the expected
# values tests/test_aab.py compares against.
#
# aapt2 cannot open an .aab ("could not identify format of APK"), but it reads a proto-format APK,
# which is what `aapt2 link --proto-format` writes and what a bundle module is made from. So for
# each module M (a top-level folder holding M/manifest/AndroidManifest.xml) this script zips
# M/manifest/AndroidManifest.xml and M/resources.pb, byte for byte, at the root of a scratch
# M.apk, and dumps that:
#
#     <name>.<M>.xmltree.txt  aapt2 dump xmltree --file AndroidManifest.xml M.apk   (every module)
#     <name>.badging.txt      aapt2 dump badging base.apk
#     <name>.resources.txt    aapt2 dump resources base.apk; for corpus bundles (whose tables hold
#                             thousands of entries) only the blocks of the resources that the
#                             modules' manifests refer to (@string/..., @mipmap/..., ...)
#     <name>.jarsigner.txt    jarsigner -verify -verbose -certs <name>.aab
#     <name>.<BLOCK>.keytool.txt  keytool -printcert -file META-INF/<BLOCK> for each signature
#                             block (.RSA/.DSA/.EC): the certificates even where jarsigner refuses
#                             the bundle (a corpus bundle was modified after signing)
#     <name>.bundleconfig.txt protoc --decode_raw < BundleConfig.pb
#     <name>.members.txt      unzip -Z1 <name>.aab (the member names: modules, lib/<abi>/)
#
# Every file starts with two comment lines, "# exit N" (the tool's exit code) and "# $ command",
# then the tool's stdout and stderr as printed together (2>&1). The tools run in the file's
# directory on its bare name, so no machine path gets into the outputs (aapt2 dump resources
# still prints the src= paths that aapt2 compile recorded in the table).
#
# Needs: aapt (for aapt2), default-jdk-headless (jarsigner, keytool), protobuf-compiler (protoc),
# zip, unzip. Usage: tests/reference/aab/make.sh   (CORPUS=... overrides the corpus path)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
FIXTURES=$ROOT/fixtures/aab
CORPUS=${CORPUS:-$(cd "$ROOT/.." && pwd)/shared/corpus}
export LC_ALL=C.UTF-8 TZ=UTC
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# run OUT DIR COMMAND...: runs COMMAND in DIR and writes OUT; returns the command's exit code.
run() {
    local out=$1 dir=$2 rc=0 text
    shift 2
    text=$(cd "$dir" && "$@" 2>&1) || rc=$?
    { printf '# exit %d\n# $ %s\n' "$rc" "$*"; [ -z "$text" ] || printf '%s\n' "$text"; } > "$out"
    return "$rc"
}

# blocks NAMES...: from `aapt2 dump resources` on stdin, the "resource 0x... type/name" blocks
# of the named resources (with their per-configuration lines).
blocks() {
    awk -v want=" $* " '
        /^    resource 0x/ { keep = index(want, " " $3 " ") > 0 }
        /^  type / || /^Package / { keep = 0 }
        keep { print }'
}

# record NAME AAB KIND: every reference output for one bundle (KIND: fixture or corpus).
record() {
    local name=$1 aab=$2 kind=$3 file dir work module block refs
    file=$(basename "$aab")
    dir=$(dirname "$aab")
    work=$SCRATCH/$name
    mkdir -p "$work"
    run "$HERE/$name.members.txt" "$dir" unzip -Z1 "$file" || true
    for module in $(unzip -Z1 "$aab" | sed -n 's|^\([^/]*\)/manifest/AndroidManifest\.xml$|\1|p' | sort); do
        mkdir -p "$work/$module.src"
        (cd "$work/$module.src" && unzip -q -o "$aab" "$module/manifest/AndroidManifest.xml" \
            && unzip -q -o "$aab" "$module/resources.pb" 2>/dev/null || true)
        (cd "$work/$module.src/$module" && zip -q -X -j "$work/$module.apk" manifest/AndroidManifest.xml \
            $( [ -f resources.pb ] && echo resources.pb ))
        run "$HERE/$name.$module.xmltree.txt" "$work" \
            aapt2 dump xmltree --file AndroidManifest.xml "$module.apk" || true
    done
    run "$HERE/$name.badging.txt" "$work" aapt2 dump badging base.apk || true
    if [ "$kind" = fixture ]; then
        run "$HERE/$name.resources.txt" "$work" aapt2 dump resources base.apk || true
    else
        refs=$(cat "$HERE/$name".*.xmltree.txt | grep -o '=@[a-z]*/[A-Za-z0-9_.]*' | cut -c3- | sort -u)
        (cd "$work" && aapt2 dump resources base.apk 2>&1) | blocks $refs > "$work/resources.txt"
        { printf '# exit 0\n# $ aapt2 dump resources base.apk | (blocks of: %s)\n' "$(echo $refs)"
          cat "$work/resources.txt"; } > "$HERE/$name.resources.txt"
    fi
    run "$HERE/$name.jarsigner.txt" "$dir" jarsigner -verify -verbose -certs "$file" || true
    for block in $(unzip -Z1 "$aab" | grep -E '^META-INF/[^/]+\.(RSA|DSA|EC)$' || true); do
        unzip -q -o -d "$work" "$aab" "$block"
        run "$HERE/$name.$(basename "$block").keytool.txt" "$work/META-INF" \
            keytool -printcert -file "$(basename "$block")" || true
    done
    unzip -p "$aab" BundleConfig.pb > "$work/BundleConfig.pb"
    run "$HERE/$name.bundleconfig.txt" "$work" sh -c 'protoc --decode_raw < BundleConfig.pb' || true
}

rm -f "$HERE"/*.txt
# The schema the equivalence test loads into the protobuf runtime (no protoc needed at test time).
protoc --descriptor_set_out="$HERE/aapt2_subset.pb" --proto_path="$HERE" aapt2_subset.proto
for aab in "$FIXTURES"/*.aab; do
    record "$(basename "$aab" .aab)" "$aab" fixture
done
[ -d "$CORPUS" ] || { echo "make.sh: no corpus at $CORPUS (set CORPUS=...)" >&2; exit 1; }
for aab in "$CORPUS"/android/*.aab; do
    record "corpus-$(basename "$aab" .aab)" "$aab" corpus
done
ls "$HERE" | wc -l
