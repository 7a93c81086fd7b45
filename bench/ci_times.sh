#!/usr/bin/env bash
# How long CI takes on this machine: `.ci/run` in a fresh clone of the repository, cold (empty
# target folder, stack cache, cargo home and pip cache, as on a new machine), then warm (the
# same caches kept, another fresh clone), as CI runs it (CI=true). Prints both times and
# where a cold run spends them (the stage banners of scripts/test, timestamped).
#
#   bench/ci_times.sh [WORK_DIR]     default: a new folder under /tmp; both runs' logs stay there
#   CI_TIMES_ONLY=cold|warm          run one of the two
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/ci-times.XXXXXX)}"
mkdir -p "$work"
shared="$repo/../shared"

run() {  # run NAME: a fresh clone with ../shared beside it, then .ci/run against $work's caches
  local name=$1 clone="$work/$1/main"
  rm -rf "$work/$name" && mkdir -p "$work/$name"
  git clone --quiet "$repo" "$clone"
  [ -d "$shared" ] && cp -r "$shared" "$work/$name/shared"
  local start end status=0
  start=$(date +%s)
  (
    cd "$clone"
    CI=true \
      REPRONOTE_CI_TARGET_DIR="$work/cache/target" \
      REPRONOTE_CI_STACK_CACHE="$work/cache/stack" \
      CARGO_HOME="$work/cache/cargo-home" \
      PIP_NO_CACHE_DIR=1 \
      bash .ci/run </dev/null 2>&1 | while IFS= read -r line; do
        printf '%s %s\n' "$(date +%s)" "$line"
      done
  ) >"$work/$name.log" || status=$?
  end=$(date +%s)
  echo "$name: $((end - start)) s ($(( (end - start) / 60 )) min), exit $status, log $work/$name.log"
  # Where the time went: each stage banner of scripts/test, minutes after the start.
  awk -v t0="$start" '/==> / { printf "  %5.1f min  %s\n", ($1 - t0) / 60, substr($0, index($0, "==>") + 4) }' "$work/$name.log"
  grep -E "[0-9]+ passed|CI finished" "$work/$name.log" | tail -2 | sed 's/^[0-9]* /  /'
  return "$status"
}

only="${CI_TIMES_ONLY:-both}"
# The toolchain itself stays (rustup's, as on CI's image); cargo's registry starts empty.
if [ "$only" = both ] || [ "$only" = cold ]; then
  rm -rf "$work/cache"
  mkdir -p "$work/cache/cargo-home"
  ln -s "${CARGO_HOME:-$HOME/.cargo}/bin" "$work/cache/cargo-home/bin"
  run cold
fi
if [ "$only" = both ] || [ "$only" = warm ]; then
  run warm
fi
