#!/usr/bin/env bash
# Fetch CDNOW_master.txt (CDNOW master data set, 23,570 customers) from the
# lifetimes 0.11.3 package on PyPI, where it ships as
# lifetimes/datasets/CDNOW_master.txt (in both the wheel and the sdist).
#
# Usage: tools/bench/fetch_cdnow_master.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to <repo root>/target/bench-data.
#   Set FETCH_SDIST=1 to download the sdist instead of the wheel.
#   Set PYTHON to choose the interpreter (default: python3).
# The copy in lifetimes 0.11.3 has a header line
# ("customer_id date number_of_cds dollar_value") and CRLF line endings; this
# script drops the header and writes LF line endings, so the output is the
# plain CDNOW master format: no header, whitespace separated
#   customer id, date YYYYMMDD, number of CDs, dollar amount
# (69,659 transactions, 23,570 customers, 1997-01-01 .. 1998-06-30).
# On success prints the path of the extracted file and exits 0;
# on failure prints a message to stderr and exits 1.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT_DIR="${1:-$REPO_ROOT/target/bench-data}"
PYTHON="${PYTHON:-python3}"
VERSION="0.11.3"
MEMBER="lifetimes/datasets/CDNOW_master.txt"

fail() {
    echo "fetch_cdnow_master: ERROR: $*" >&2
    exit 1
}

command -v "$PYTHON" >/dev/null 2>&1 || fail "'$PYTHON' not found (set PYTHON=...)"
"$PYTHON" -m pip --version >/dev/null 2>&1 || fail "pip is not available for '$PYTHON'"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

pip_args=(download --no-deps --disable-pip-version-check "lifetimes==$VERSION" -d "$TMP")
if [[ "${FETCH_SDIST:-0}" == "1" ]]; then
    pip_args+=(--no-binary ":all:")
fi
if ! "$PYTHON" -m pip "${pip_args[@]}" >"$TMP/pip.log" 2>&1; then
    cat "$TMP/pip.log" >&2
    fail "'pip download lifetimes==$VERSION' failed (is PyPI reachable?)"
fi

mkdir -p "$OUT_DIR" || fail "cannot create output directory '$OUT_DIR'"
OUT_FILE="$(cd "$OUT_DIR" && pwd)/CDNOW_master.txt"

# Extract with Python so it works the same for a wheel (.whl, zip) and an
# sdist (.tar.gz / .zip); in an sdist the member sits under lifetimes-X.Y.Z/.
if ! "$PYTHON" - "$TMP" "$MEMBER" "$OUT_FILE" <<'PY'
import os, shutil, sys, tarfile, zipfile
tmp, member, out = sys.argv[1:4]
archives = [os.path.join(tmp, f) for f in os.listdir(tmp) if f.lower().startswith("lifetimes")]
if not archives:
    sys.exit("no lifetimes archive was downloaded")
path = archives[0]
def pick(names):
    hits = [n for n in names if n == member or n.endswith("/" + member)]
    if not hits:
        sys.exit(f"{member} not found in {os.path.basename(path)}")
    return min(hits, key=len)
if zipfile.is_zipfile(path):
    with zipfile.ZipFile(path) as z:
        data = z.read(pick(z.namelist()))
elif tarfile.is_tarfile(path):
    with tarfile.open(path) as t:
        name = pick(t.getnames())
        src = t.extractfile(name)
        if src is None:
            sys.exit(f"{name} is not a regular file in {os.path.basename(path)}")
        with src:
            data = src.read()
else:
    sys.exit(f"unrecognised archive format: {os.path.basename(path)}")
lines = data.decode("ascii").splitlines()
# Drop a header line (first field not a customer number) and blank lines.
if lines and not lines[0].split()[0].isdigit():
    lines = lines[1:]
lines = [l for l in lines if l.strip()]
for l in lines:
    f = l.split()
    if len(f) != 4 or not (f[0].isdigit() and f[1].isdigit() and len(f[1]) == 8):
        sys.exit(f"unexpected line in {member}: {l!r}")
tmp_out = out + ".part"
with open(tmp_out, "w", newline="\n") as dst:
    dst.write("\n".join(lines) + "\n")
os.replace(tmp_out, out)
PY
then
    fail "could not extract $MEMBER from the downloaded lifetimes $VERSION archive"
fi

# Sanity check: 4 whitespace-separated columns, 23,570 distinct customers.
n_cust="$(awk 'NF {print $1}' "$OUT_FILE" | sort -u | wc -l)"
if [[ "$n_cust" -ne 23570 ]]; then
    fail "$OUT_FILE has $n_cust customers, expected 23570"
fi
echo "$OUT_FILE"
