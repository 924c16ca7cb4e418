#!/usr/bin/env bash
# Times `clv-desk import CDNOW_master.txt --preset cdnow` into a new database, as one
# process (read, write, summary, model choice and fits, scores saved), RUNS times, and
# prints each wall time, CPU time (user + system, all threads) and peak RSS, then the
# fastest and the median. On a shared machine the CPU time varies less than the wall time:
# compare builds by both.
#
# Usage: tools/bench/cdnow_one_process.sh [RUNS]   (default 10)
#   Needs a release build (cargo build --release) and the data file
#   (tools/bench/fetch_cdnow_master.sh). Set DB to choose the scratch database
#   (default /tmp/clv-desk-cdnow-bench.sqlite; it is deleted before every run), and BIN to
#   time another build (default target/release/clv-desk).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-10}"
BIN="${BIN:-$REPO_ROOT/target/release/clv-desk}"
DATA="$REPO_ROOT/target/bench-data/CDNOW_master.txt"
DB="${DB:-/tmp/clv-desk-cdnow-bench.sqlite}"

[ -x "$BIN" ] || { echo "cdnow_one_process: build first: cargo build --release" >&2; exit 1; }
[ -f "$DATA" ] || { echo "cdnow_one_process: fetch first: tools/bench/fetch_cdnow_master.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "cdnow_one_process: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

times=()
cpus=()
for _ in $(seq 1 "$RUNS"); do
    rm -f "$DB" "$DB-wal" "$DB-shm"
    read -r wall user sys rss < <(/usr/bin/time -f "%e %U %S %M" "$BIN" --db "$DB" import "$DATA" --preset cdnow 2>&1 >/dev/null | tail -1)
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    echo "wall $wall s, cpu $cpu s, peak RSS $rss KB"
    times+=("$wall")
    cpus+=("$cpu")
done
rm -f "$DB" "$DB-wal" "$DB-shm"
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }
echo "fastest $(printf '%s\n' "${times[@]}" | sort -n | head -1) s, median $(printf '%s\n' "${times[@]}" | median) s wall; median $(printf '%s\n' "${cpus[@]}" | median) s cpu; over $RUNS runs"
