#!/usr/bin/env bash
# Times `clv-desk import CDNOW_master.txt --preset cdnow` into a new database, as one
# process (read, write, summary, model choice and fits, scores saved), RUNS times, and
# prints each wall time (in milliseconds, from bash's EPOCHREALTIME), CPU time (user +
# system, all threads), peak RSS and minor page faults, then the fastest and the median.
# Page faults are this virtual machine's dearest operation (2–28 µs each, depending on
# whether the host still backs the memory): they explain most of its drift between hours. On a shared machine
# the wall time drifts by ±10 ms over an hour: to compare two builds, set BASE to the other
# binary, and the two are run alternately and both medians printed.
#
# Usage: tools/bench/cdnow_one_process.sh [RUNS]   (default 10)
#   Needs a release build (cargo build --release) and the data file
#   (tools/bench/fetch_cdnow_master.sh). Set DB to choose the scratch database
#   (default /tmp/clv-desk-cdnow-bench.sqlite; it is deleted before every run), BIN to
#   time another build (default target/release/clv-desk), and BASE to compare with one.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-10}"
BIN="${BIN:-$REPO_ROOT/target/release/clv-desk}"
BASE="${BASE:-}"
DATA="$REPO_ROOT/target/bench-data/CDNOW_master.txt"
DB="${DB:-/tmp/clv-desk-cdnow-bench.sqlite}"

[ -x "$BIN" ] || { echo "cdnow_one_process: build first: cargo build --release" >&2; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "cdnow_one_process: BASE is not a program: $BASE" >&2; exit 1; }
[ -f "$DATA" ] || { echo "cdnow_one_process: fetch first: tools/bench/fetch_cdnow_master.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "cdnow_one_process: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

bins=("$BIN")
[ -z "$BASE" ] || bins+=("$BASE")
declare -A walls cpus faults
for _ in $(seq 1 "$RUNS"); do
    for bin in "${bins[@]}"; do
        rm -f "$DB" "$DB-wal" "$DB-shm"
        start=$EPOCHREALTIME
        read -r user sys rss minor < <(/usr/bin/time -f "%U %S %M %R" "$bin" --db "$DB" import "$DATA" --preset cdnow 2>&1 >/dev/null | tail -1)
        end=$EPOCHREALTIME
        wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) * 1000 }')
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        echo "$(basename "$bin"): wall $wall ms, cpu $cpu s, peak RSS $rss KB, $minor page faults"
        walls[$bin]+="$wall "
        cpus[$bin]+="$cpu "
        faults[$bin]+="$minor "
    done
done
rm -f "$DB" "$DB-wal" "$DB-shm"
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }
for bin in "${bins[@]}"; do
    echo "$bin: fastest $(echo "${walls[$bin]}" | tr ' ' '\n' | sed '/^$/d' | sort -n | head -1) ms, median $(echo "${walls[$bin]}" | median) ms wall; median $(echo "${cpus[$bin]}" | median) s cpu, $(echo "${faults[$bin]}" | median) page faults; over $RUNS runs"
done
