#!/usr/bin/env bash
# Regenerates lvsim-cjk.ttf: WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, Apache-2.0,
# see LICENSE-wqy-microhei.txt) cut down to printable ASCII plus every non-ASCII character
# of src/batch/words.rs (the Chinese chart and report texts). Run it after adding or
# changing a Chinese text there; `cargo test` fails until then (words::tests).
# Needs apt-get (for the font) and Python's fontTools (`pip install fonttools`, or
# Debian's python3-fonttools).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download fonts-wqy-microhei >/dev/null && dpkg -x fonts-wqy-microhei_*.deb x)
{
    # Printable ASCII, then the text's other characters, one per line.
    python3 -c 'print("".join(chr(c) for c in range(0x20, 0x7f)))'
    python3 -c 'import sys; print("".join(sorted({c for c in open(sys.argv[1], encoding="utf-8").read() if ord(c) > 0x7e and c != "\n"})))' "$root/src/batch/words.rs"
    # Signs the numbers and names around the texts use.
    printf '%s\n' '–−×µ·…'
} >"$work/chars.txt"
pyftsubset "$work/x/usr/share/fonts/truetype/wqy/wqy-microhei.ttc" --font-number=0 \
    --text-file="$work/chars.txt" --layout-features='' --no-hinting --desubroutinize \
    --name-IDs='*' --output-file="$here/lvsim-cjk.ttf"
ls -l "$here/lvsim-cjk.ttf"
