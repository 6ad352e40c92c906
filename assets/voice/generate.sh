#!/usr/bin/env bash
# Writes the kiosk's spoken prompts (语音播报) from prompts.tsv into zh/<key>.wav and
# en/<key>.wav: 16 kHz, mono, 16-bit, silence trimmed, peaks at -1 dBFS. A maintainer runs
# it after changing the table and commits the WAVs; the gate embeds them, so neither a build
# nor a tablet ever needs a speech engine or a network.
#
# Tools (Debian packages, installed with apt-get when missing): espeak-ng speaks (voices
# `cmn` and `en`); sox resamples espeak-ng's 22.05 kHz to 16 kHz, trims and normalizes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
table="$here/prompts.tsv"

# Words per minute. espeak-ng's default (175) is slow for a gate: a rider is walking.
ZH_SPEED=${ZH_SPEED:-300}
EN_SPEED=${EN_SPEED:-190}

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
if ((${#missing[@]})); then
    echo "generate.sh: installing ${missing[*]} with apt-get" >&2
    sudo=()
    if ((EUID != 0)); then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/zh" "$here/en"
rm -f "$here"/zh/*.wav "$here"/en/*.wav

# speak VOICE SPEED TEXT OUT: one prompt, from espeak-ng's output to the committed form.
speak() {
    espeak-ng -v "$1" -s "$2" -w "$work/raw.wav" -- "$3"
    # -D: no dither, so the same table always writes the same bytes. The silence effects
    # trim espeak-ng's lead-in and tail (the kiosk puts its own gap after the tone).
    sox -D "$work/raw.wav" -r 16000 -c 1 -b 16 "$4" \
        silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse norm -1
}

declare -A seen=()
line=0
while IFS=$'\t' read -r key zh en extra; do
    line=$((line + 1))
    [[ -z "$key" || "$key" == \#* ]] && continue
    if [[ -z "${zh:-}" || -z "${en:-}" || -n "${extra:-}" ]]; then
        echo "generate.sh: $table:$line: expected key<TAB>中文<TAB>English" >&2
        exit 1
    fi
    if [[ -n "${seen[$key]:-}" ]]; then
        echo "generate.sh: $table:$line: key $key appears twice" >&2
        exit 1
    fi
    seen[$key]=1
    speak cmn "$ZH_SPEED" "$zh" "$here/zh/$key.wav"
    speak en "$EN_SPEED" "$en" "$here/en/$key.wav"
    printf '%-22s zh %5.2f s  en %5.2f s\n' "$key" \
        "$(soxi -D "$here/zh/$key.wav")" "$(soxi -D "$here/en/$key.wav")"
done <"$table"

echo "wrote ${#seen[@]} prompts, $(cat "$here"/zh/*.wav "$here"/en/*.wav | wc -c) bytes, in $here/{zh,en}"
