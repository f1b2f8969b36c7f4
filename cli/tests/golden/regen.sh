#!/bin/sh
# Regenerates the golden outputs in this folder from the installed wimlib-imagex
# (Debian wimtools 1.13.5). Provenance: every *.expected file here is the verbatim
# stdout (or stderr for *.stderr, exit status for *.rc) of the command named in its
# file name, run from inside ../../../../shared/testdata/real with the fixture's bare
# file name as WIMFILE. Nothing here is copied from wimlib's sources.
#
#   FIXTURE.info        wimlib-imagex info FIXTURE
#   FIXTURE.info1       wimlib-imagex info FIXTURE 1
#   FIXTURE.dir1        wimlib-imagex dir FIXTURE 1
#   FIXTURE.dird1       wimlib-imagex dir --detailed FIXTURE 1
#   FIXTURE.header      wimlib-imagex info --header FIXTURE
#   FIXTURE.blobs       wimlib-imagex info --blobs FIXTURE
#   FIXTURE.verify{,.stderr,.rc}   wimlib-imagex verify FIXTURE
#   windows_fields.info3           image 3 of a WIM built below with every
#                                   <WINDOWS> property set (times pinned)
#
# Usage: sh cli/tests/golden/regen.sh   (from the workspace root or anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# The fixtures live in shared/testdata/real next to the workspace (or next to an
# ancestor of it when working in a git worktree); WIMKIT_REAL_DIR overrides.
real=${WIMKIT_REAL_DIR:-}
d=$here
while [ -z "$real" ] && [ "$d" != / ]; do
    d=$(dirname "$d")
    [ -d "$d/shared/testdata/real" ] && real="$d/shared/testdata/real"
done
[ -n "$real" ] || { echo "SKIP: shared/testdata/real not found" >&2; exit 1; }
command -v wimlib-imagex >/dev/null || { echo "wimlib-imagex not installed" >&2; exit 1; }

FIXTURES="ms-imagex_7zjb_archive1_lzx.wim ms-wimgapi_dissect_basic_xpress32k.wim
wimlib_mwl_lzms.wim wimlib_mwl_integrity_ok.wim wimlib_mwl_split.swm
wimlib_mwl_boot_lzx.wim wimlib-tests_linux_xattrs_old.wim 7zip_bit7z_empty.wim
ms-imagex_7zjb_simple3-empty_none.wim"

cd "$real"
for f in $FIXTURES; do
    wimlib-imagex info "$f" > "$here/$f.info"
    wimlib-imagex info "$f" 1 > "$here/$f.info1"
    wimlib-imagex dir "$f" 1 > "$here/$f.dir1"
    case $f in ms-imagex_7zjb_archive1*) ;; *) wimlib-imagex dir --detailed "$f" 1 > "$here/$f.dird1";; esac
    wimlib-imagex info --header "$f" > "$here/$f.header"
    wimlib-imagex info --blobs "$f" > "$here/$f.blobs" 2>/dev/null
    set +e
    wimlib-imagex verify "$f" > "$here/$f.verify" 2> "$here/$f.verify.stderr"
    echo $? > "$here/$f.verify.rc"
    set -e
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/a/b"
printf 'hello\n' > "$tmp/src/a/f.txt"
printf 'x\n' > "$tmp/src/g"
ln "$tmp/src/g" "$tmp/src/hl"
wimlib-imagex capture "$tmp/src" "$tmp/w.wim" First "Desc one" >/dev/null
wimlib-imagex append "$tmp/src" "$tmp/w.wim" "" >/dev/null
wimlib-imagex append "$tmp/src" "$tmp/w.wim" Third \
    --image-property DISPLAYNAME=Disp --image-property DISPLAYDESCRIPTION=DD \
    --image-property FLAGS=Pro --image-property WINDOWS/ARCH=9 \
    --image-property WINDOWS/PRODUCTNAME=PN --image-property WINDOWS/EDITIONID=Ed \
    --image-property WINDOWS/INSTALLATIONTYPE=Client --image-property WINDOWS/HAL=acpi \
    --image-property WINDOWS/PRODUCTTYPE=WinNT --image-property WINDOWS/PRODUCTSUITE=Term \
    --image-property WINDOWS/LANGUAGES/LANGUAGE=en-US \
    --image-property 'WINDOWS/LANGUAGES/LANGUAGE[2]=de-DE' \
    --image-property WINDOWS/LANGUAGES/DEFAULT=en-US --image-property WINDOWS/SYSTEMROOT=WINDOWS \
    --image-property WINDOWS/VERSION/MAJOR=10 --image-property WINDOWS/VERSION/MINOR=0 \
    --image-property WINDOWS/VERSION/BUILD=19041 --image-property WINDOWS/VERSION/SPBUILD=1 \
    --image-property WINDOWS/VERSION/SPLEVEL=0 --image-property WIMBOOT=1 >/dev/null
wimlib-imagex info "$tmp/w.wim" 3 \
    --image-property CREATIONTIME/HIGHPART=0x01CDEBD7 --image-property CREATIONTIME/LOWPART=0xFC909BCA \
    --image-property LASTMODIFICATIONTIME/HIGHPART=0x01CDEBD7 \
    --image-property LASTMODIFICATIONTIME/LOWPART=0xFC909BCA >/dev/null
wimlib-imagex info "$tmp/w.wim" 3 > "$here/windows_fields.info3"
echo "golden files regenerated in $here"
