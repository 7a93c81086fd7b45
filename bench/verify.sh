#!/usr/bin/env bash
# Benchmark: `linfa-export verify` against `openssl dgst -sha256` on the same
# 1 GiB artifact (one 960 MiB attachment + four 16 MiB ones + model files), in
# the same run, with a warm page cache. Prints a Markdown table: best-of-N
# wall time, throughput, the verify/OpenSSL throughput ratio, and peak RSS
# from /usr/bin/time -v.
#
# Usage: bench/verify.sh            (env: RUNS=5 BIG_MIB=960 SMALL_COUNT=4 SMALL_MIB=16)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/cache/target-export}
RUNS=${RUNS:-5}
BIG_MIB=${BIG_MIB:-960}
SMALL_COUNT=${SMALL_COUNT:-4}
SMALL_MIB=${SMALL_MIB:-16}

if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >/dev/null
fi
command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 2; }

(cd "$ROOT" && cargo build --quiet --release -p linfa-export --bin linfa-export --example make_artifact)
BIN="$CARGO_TARGET_DIR/release/linfa-export"
MAKE="$CARGO_TARGET_DIR/release/examples/make_artifact"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/linfa-export-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$MAKE" "$WORK/artifact" "$WORK/scratch" $((BIG_MIB << 20)) "$SMALL_COUNT" $((SMALL_MIB << 20)) >/dev/null
rm -rf "$WORK/scratch"
ART="$WORK/artifact"
mapfile -t FILES < <(cd "$ART" && find . -type f | sort)
BYTES=$(cd "$ART" && cat "${FILES[@]}" | wc -c)
BIG_FILE="$ART/data/big.bin"
BIG_BYTES=$(stat -c %s "$BIG_FILE")
cat "$ART"/data/* >/dev/null   # warm the page cache for every contender

# run NAME BYTES CMD... -> appends "name bytes seconds rss_kib" for the best run
RESULTS="$WORK/results"
run() {
    local name=$1 bytes=$2; shift 2
    local best="" best_rss=0
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null
        t1=$(date +%s%N)
        local ns=$((t1 - t0))
        local rss
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
        if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; best_rss=$rss; fi
    done
    echo "$name $bytes $best $best_rss" >>"$RESULTS"
}

"$BIN" verify "$ART" >/dev/null   # must pass before it is timed
run "linfa-export verify (whole artifact)" "$BYTES" "$BIN" verify "$ART"
run "openssl dgst -sha256 (same files)" "$BYTES" bash -c 'cd "$0" && openssl dgst -sha256 "$@"' "$ART" "${FILES[@]}"
run "openssl dgst -sha256 (big file only)" "$BIG_BYTES" openssl dgst -sha256 "$BIG_FILE"

echo "## linfa-export verify benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, sha_ni: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)"
echo "- artifact: $(( BYTES >> 20 )) MiB in ${#FILES[@]} files (one ${BIG_MIB} MiB attachment, ${SMALL_COUNT} x ${SMALL_MIB} MiB, model files), warm page cache, best of $RUNS runs"
echo "- $($BIN --version), $(openssl version | cut -d' ' -f1-2)"
echo
echo "| command | bytes | best time (s) | throughput (MiB/s) | peak RSS (MiB) |"
echo "|---|---:|---:|---:|---:|"
awk '{
    name=$0; sub(/ [0-9]+ [0-9]+ [0-9]+$/, "", name);
    n=split($0, f, " "); bytes=f[n-2]; ns=f[n-1]; rss=f[n];
    printf "| %s | %d | %.3f | %.0f | %.1f |\n", name, bytes, ns/1e9, bytes/1048576/(ns/1e9), rss/1024
}' "$RESULTS"
awk '{
    n=split($0, f, " "); tp[NR]=f[n-2]/(f[n-1]/1e9)
} END {
    printf "\nverify / openssl throughput ratio: %.2fx on the same files, %.2fx against openssl on the big file alone\n", tp[1]/tp[2], tp[1]/tp[3]
}' "$RESULTS"
