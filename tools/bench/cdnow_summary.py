#!/usr/bin/env python3
"""Build the RFM summary of the CDNOW master data set with CLV Desk's conventions.

Usage:
    cdnow_summary.py INPUT_MASTER OUTPUT_CSV [--end 1998-06-30] [--check]

INPUT_MASTER: CDNOW_master.txt (no header, whitespace separated:
customer id, date YYYYMMDD, number of CDs, dollar amount), as written by
fetch_cdnow_master.sh. A header line, if present, is skipped.

Conventions (all times in weeks, not rounded):
  * purchases are counted per calendar day: several transactions of a customer
    on one day are one purchase whose value is the sum of their amounts;
  * frequency      = number of distinct purchase days - 1;
  * recency        = (last purchase day - first purchase day) in days / 7;
  * T              = (observation end - first purchase day) in days / 7,
                     the end defaulting to 1998-06-30, the last day of the data;
  * monetary_value = mean value of the repeat purchase days (the first day
                     excluded), 0 when frequency == 0.
Transactions after the observation end are ignored (a note goes to stderr).

Output: CSV with columns customer,frequency,recency,T,monetary_value, one row
per customer sorted by customer number, floats written with repr() (full
round-trip precision).

--check compares the result with lifetimes'
summary_data_from_transaction_data(..., freq='D', monetary_value_col=...)
with recency and T divided by 7 (needs lifetimes and pandas installed) and
exits 1 if they disagree.
"""
import argparse
import csv
import datetime as dt
import sys
from collections import defaultdict


def read_master(path):
    """Return a list of (customer:int, date:datetime.date, dollars:float)."""
    rows = []
    with open(path, "r", encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if lineno == 1 and not fields[0].isdigit():
                continue  # header
            if len(fields) != 4:
                sys.exit(f"{path}:{lineno}: expected 4 fields, got {len(fields)}: {line!r}")
            cust, date, _cds, dollars = fields
            day = dt.date(int(date[0:4]), int(date[4:6]), int(date[6:8]))
            rows.append((int(cust), day, float(dollars)))
    return rows


def summarise(rows, end):
    """Return {customer: (frequency, recency, T, monetary_value)}."""
    per_day = defaultdict(lambda: defaultdict(float))  # customer -> day -> value
    dropped = 0
    for cust, day, dollars in rows:
        if day > end:
            dropped += 1
            continue
        per_day[cust][day] += dollars
    if dropped:
        print(f"note: ignored {dropped} transactions after {end}", file=sys.stderr)
    out = {}
    for cust in sorted(per_day):
        days = sorted(per_day[cust])
        first, last = days[0], days[-1]
        frequency = len(days) - 1
        recency = (last - first).days / 7.0
        T = (end - first).days / 7.0
        if frequency > 0:
            repeat = [per_day[cust][d] for d in days[1:]]
            monetary = sum(repeat) / len(repeat)
        else:
            monetary = 0.0
        out[cust] = (frequency, recency, T, monetary)
    return out


def write_csv(summary, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer", "frequency", "recency", "T", "monetary_value"])
        for cust, (freq, rec, T, mon) in summary.items():
            w.writerow([cust, freq, repr(rec), repr(T), repr(mon)])


def check_against_lifetimes(rows, end, summary):
    """Compare with lifetimes' own summary (freq='D'), recency and T / 7."""
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    tx = pd.DataFrame(rows, columns=["customer", "date", "dollars"])
    tx["date"] = pd.to_datetime(tx["date"])
    lt = summary_data_from_transaction_data(
        tx, "customer", "date", monetary_value_col="dollars",
        observation_period_end=pd.Timestamp(end), freq="D",
    )
    ok = True
    if len(lt) != len(summary):
        print(f"check: lifetimes has {len(lt)} customers, ours {len(summary)}", file=sys.stderr)
        ok = False
    worst = {"frequency": 0.0, "recency": 0.0, "T": 0.0, "monetary_value": 0.0}
    mismatches = 0
    for cust, (freq, rec, T, mon) in summary.items():
        r = lt.loc[cust]
        ours = {"frequency": freq, "recency": rec, "T": T, "monetary_value": mon}
        theirs = {"frequency": r["frequency"], "recency": r["recency"] / 7.0,
                  "T": r["T"] / 7.0, "monetary_value": r["monetary_value"]}
        bad = False
        for k in worst:
            d = abs(ours[k] - theirs[k])
            worst[k] = max(worst[k], d)
            tol = 1e-9 * max(1.0, abs(theirs[k])) if k == "monetary_value" else 0.0
            if d > tol:
                bad = True
        if bad:
            mismatches += 1
            if mismatches <= 5:
                print(f"check: customer {cust}: ours {ours} lifetimes {theirs}", file=sys.stderr)
    print(f"check vs lifetimes summary_data_from_transaction_data(freq='D'), /7: "
          f"{len(summary)} customers, {mismatches} mismatching; max |diff| "
          + ", ".join(f"{k}={v:.3g}" for k, v in worst.items()), file=sys.stderr)
    return ok and mismatches == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input_master")
    ap.add_argument("output_csv")
    ap.add_argument("--end", default="1998-06-30",
                    help="observation end, YYYY-MM-DD (default 1998-06-30)")
    ap.add_argument("--check", action="store_true",
                    help="cross-check against lifetimes' own summary")
    args = ap.parse_args()
    end = dt.date.fromisoformat(args.end)

    rows = read_master(args.input_master)
    summary = summarise(rows, end)
    write_csv(summary, args.output_csv)
    n_rep = sum(1 for v in summary.values() if v[0] > 0)
    print(f"{len(rows)} transactions, {len(summary)} customers "
          f"({n_rep} with repeat purchases) -> {args.output_csv}", file=sys.stderr)
    if args.check and not check_against_lifetimes(rows, end, summary):
        sys.exit(1)


if __name__ == "__main__":
    main()
