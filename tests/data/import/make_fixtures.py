#!/usr/bin/env python3
"""Generate the import-engine test fixtures under tests/data/import/.

Run:  python3 tests/data/import/make_fixtures.py
Standard library only, except the one .xlsx, which needs openpyxl==3.1.5
(e.g. python3 -m venv /tmp/fxvenv && /tmp/fxvenv/bin/pip install openpyxl==3.1.5,
then run this script with /tmp/fxvenv/bin/python).  Without openpyxl the
xlsx fixture is left as it is on disk.

Each preset function holds its data as Python values (money as integer
cents), writes the file(s) shaped like the real export, and writes the
expected result computed from the same values by the rules in README.md.
The output is deterministic: running it twice gives identical bytes.
"""
import csv
import io
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


# ---------------------------------------------------------------- helpers

def csv_text(rows, delimiter=",", quote_all=False, eol="\n"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=eol,
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    for r in rows:
        w.writerow(["" if c is None else c for c in r])
    return buf.getvalue()


def save(path, text, encoding="utf-8"):
    """encoding: utf-8 | utf-8-bom | windows-1252"""
    path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "utf-8":
        data = text.encode("utf-8")
    elif encoding == "utf-8-bom":
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    elif encoding == "windows-1252":
        data = text.encode("cp1252")
    else:
        raise ValueError(encoding)
    path.write_bytes(data)
    return path


def save_json(path, obj):
    path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def dec(cents, thousands=False, comma=False):
    """1234 -> '12.34'; thousands adds ',' grouping; comma gives '1.234,56' style."""
    neg = cents < 0
    c = abs(cents)
    whole, frac = divmod(c, 100)
    w = f"{whole:,}" if thousands else str(whole)
    if comma:
        w = w.replace(",", ".")
        s = f"{w},{frac:02d}"
    else:
        s = f"{w}.{frac:02d}"
    return ("-" if neg else "") + s


def usd(cents, thousands=True):
    """$8.00, -$0.95, $1,240.00"""
    s = dec(abs(cents), thousands=thousands)
    return ("-$" if cents < 0 else "$") + s


def trimmed(cents):
    """Excel-trimmed: 1700 -> '17', 425 -> '4.25', 140 -> '1.4'."""
    s = dec(cents)
    s = s.rstrip("0").rstrip(".")
    return s


def order(ext, key, date, net, lines, refunded=0, refund_entry=False):
    return {"external_id": ext, "customer_key": key, "local_date": date,
            "net_minor": net, "lines": lines, "refunded": refunded,
            "refund_entry": refund_entry}


def expected(preset, orders, *, encoding, delimiter, rows_read, wrapper_rows=0,
             skipped=None, currency, date_order, decimal=".", spot=(), notes="",
             **extra):
    ids = [o["external_id"] for o in orders]
    for s in spot:
        assert s in ids, s
    exp = {
        "preset": preset,
        "encoding": encoding,
        "delimiter": delimiter,
        "rows_read": rows_read,
        "wrapper_rows": wrapper_rows,
        "orders": len(orders),
        "customers": len({o["customer_key"] for o in orders if o["customer_key"]}),
        "guest_orders": sum(1 for o in orders if not o["customer_key"]),
        "refunds": sum(1 for o in orders if o["refunded"] > 0 or o["refund_entry"]),
        "skipped": {k: v for k, v in (skipped or {}).items() if v},
        "net_total_minor": sum(o["net_minor"] for o in orders),
        "currency": currency,
        "date_order": date_order,
        "decimal": decimal,
        "spot_checks": [
            {k: o[k] for k in ("external_id", "customer_key", "local_date", "net_minor", "lines")}
            for s in spot for o in orders if o["external_id"] == s
        ],
        "notes": notes,
    }
    exp.update(extra)
    return exp


def spot_by(orders, pred_list):
    """For files without order ids: pick orders by (customer_key, local_date)."""
    out = []
    for key, date in pred_list:
        m = [o for o in orders if o["customer_key"] == key and o["local_date"] == date]
        assert len(m) == 1, (key, date, m)
        out.append({k: m[0][k] for k in ("external_id", "customer_key", "local_date", "net_minor", "lines")})
    return out


# ---------------------------------------------------------------- shopify

SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
    "Discount Code", "Discount Amount", "Shipping Method", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price",
    "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable",
    "Lineitem fulfillment status", "Billing Name", "Billing Street", "Billing Address1",
    "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name",
    "Shipping Street", "Shipping City", "Shipping Zip", "Shipping Country",
    "Notes", "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference",
    "Refunded Amount", "Vendor", "Outstanding Balance", "Employee", "Location",
    "Id", "Tags", "Risk Level", "Source", "Lineitem discount", "Phone",
    "Receipt Number", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
]

# name, email, status, created, items [(qty, name, price, sku)], discount(code, cents),
# shipping, tax, refunded, billing name, zip, notes, payment method
SHOPIFY_ORDERS = [
    ("#1001", "jane.doe@example.com", "paid", "2021-03-02 10:15:40 +0100",
     [(2, "Blue Mug", 1400, "MUG-BLU"), (1, "Tea Towel - Linen", 950, "TOW-LIN")],
     ("WELCOME10", 375), 590, 617, 0, "Jane Doe", "'97317",
     "Please gift wrap.\nNo invoice in the box, thanks!", "Shopify Payments"),
    ("#1002", "tom.becker@example.org", "paid", "2021-03-14 16:02:11 +0100",
     [(1, "Stoneware Bowl", 2600, "BWL-STN")], None, 590, 494, 0, "Tom Becker", "10115",
     "", "Shopify Payments"),
    ("#1003", "", "paid", "2021-03-20 09:30:00 +0100",
     [(1, "Blue Mug", 1400, "MUG-BLU")], None, 0, 266, 0, "Walk-in Customer", "10117",
     "", "Cash on Delivery (COD)"),
    ("#1004", "jane.doe@example.com", "partially_refunded", "2021-04-03 14:45:09 +0200",
     [(1, "Stoneware Bowl", 2600, "BWL-STN"), (2, "Tea Towel - Linen", 950, "TOW-LIN"),
      (1, "Gift Card Envelope", 0, "")],
     None, 590, 855, 1200, "Jane Doe", "'97317", "", "Shopify Payments"),
    ("#1005", "ana.silva@example.com", "pending", "2021-04-09 11:20:00 +0200",
     [(1, "Serving Platter", 4800, "PLT-SRV"), (1, "Blue Mug", 1400, "MUG-BLU")],
     None, 590, 1178, 0, "Ana Silva", "20095", "", "Bank Deposit"),
    ("#1006", "lars.holm@example.org", "refunded", "2021-04-17 08:05:55 +0200",
     [(3, "Tea Towel - Linen", 950, "TOW-LIN")], None, 590, 654, 4094, "Lars Holm", "80331",
     "", "Shopify Payments"),
    ("#1007", "tom.becker@example.org", "paid", "2021-05-01 00:30:12 +0200",
     [(1, "Serving Platter", 4800, "PLT-SRV")], ("SPRING5", 500), 0, 817, 0, "Tom Becker",
     "10115", "", "Shopify Payments"),
    ("#1008", "mia.keller@example.com", "voided", "2021-05-02 19:12:40 +0200",
     [(1, "Stoneware Bowl", 2600, "BWL-STN")], None, 590, 606, 0, "Mia Keller", "50667",
     "", "Shopify Payments"),
    ("#1009", "ana.silva@example.com", "paid", "2021-05-13 11:01:13 +0200",
     [(20, "Blue Mug", 1400, "MUG-BLU"), (10, "Stoneware Bowl", 2600, "BWL-STN"),
      (1, "Serving Platter", 4800, "PLT-SRV")],
     ("WHOLESALE", 7800), 2500, 11200, 0, "Ana Silva", "20095",
     "Wholesale order for the café.\nInvoice to: Silva & Filhos, Rua Augusta 12", "Shopify Payments"),
    ("#1010", "", "authorized", "2021-05-18 13:44:02 +0200",
     [(1, "Blue Mug", 1400, "MUG-BLU")], None, 590, 378, 0, "Paul Wagner", "01067",
     "", "Shopify Payments"),
    ("#1011", "jane.doe@example.com", "paid", "2021-05-21 21:58:30 +0200",
     [(1, "Tea Towel - Linen", 950, "TOW-LIN")], None, 590, 293, 0, "Jane Doe", "'97317",
     "", "PayPal Express Checkout"),
    ("#1012", "noah.fischer@example.com", "paid", "2021-05-27 07:31:19 +0200",
     [(1, "Serving Platter", 4800, "PLT-SRV"), (2, "Blue Mug", 1400, "MUG-BLU")],
     None, 590, 1551, 0, "Noah Fischer", "70173",
     'Leave at the "back door",\nring twice.\n\n(Dog is friendly)', "Shopify Payments"),
    ("#1013", "ana.silva@example.com", "partially_refunded", "2021-06-04 12:00:00 +0200",
     [(1, "Stoneware Bowl", 2600, "BWL-STN")], None, 590, 606, 500, "Ana Silva", "20095",
     "", "Shopify Payments"),
    ("#1014", "mia.keller@example.com", "paid", "2021-06-11 17:25:48 +0200",
     [(2, "Stoneware Bowl", 2600, "BWL-STN")], ("FRIENDS15", 780), 590, 951, 0,
     "Mia Keller", "50667", "", "Shopify Payments"),
]


def shopify_rows(orders_data, header, drop=()):
    rows = []
    keep = [i for i, h in enumerate(header) if h not in drop]
    oid = 4012345678000
    for (name, email, status, created, items, disc, ship, tax, refunded,
         bname, zip_, notes, pay) in orders_data:
        oid += 1117
        disc_code, disc_amt = disc if disc else ("", 0)
        subtotal = sum(q * p for q, _, p, _ in items) - disc_amt
        total = subtotal + ship + tax
        paid_at = created if status in ("paid", "partially_refunded", "refunded") else ""
        for n, (q, iname, price, sku) in enumerate(items):
            first = n == 0
            d = dict.fromkeys(SHOPIFY_HEADER, "")
            d.update({"Name": name, "Email": email, "Created at": created,
                      "Lineitem quantity": str(q), "Lineitem name": iname,
                      "Lineitem price": dec(price), "Lineitem sku": sku,
                      "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                      "Lineitem fulfillment status": "fulfilled" if paid_at else "pending",
                      "Vendor": "Kiln & Co", "Lineitem discount": "0.00"})
            if first:
                d.update({"Financial Status": status, "Paid at": paid_at,
                          "Fulfillment Status": "fulfilled" if paid_at else "unfulfilled",
                          "Fulfilled at": paid_at, "Accepts Marketing": "yes" if email else "no",
                          "Currency": "EUR", "Subtotal": dec(subtotal), "Shipping": dec(ship),
                          "Taxes": dec(tax), "Total": dec(total), "Discount Code": disc_code,
                          "Discount Amount": dec(disc_amt),
                          "Shipping Method": "Standard" if ship else "Local pickup",
                          "Billing Name": bname, "Billing Street": "Hauptstr. 5",
                          "Billing Address1": "Hauptstr. 5", "Billing City": "Berlin",
                          "Billing Zip": zip_, "Billing Country": "DE",
                          "Billing Phone": "+49 30 1234567", "Shipping Name": bname,
                          "Shipping Street": "Hauptstr. 5", "Shipping City": "Berlin",
                          "Shipping Zip": zip_, "Shipping Country": "DE", "Notes": notes,
                          "Cancelled at": created if status == "voided" else "",
                          "Payment Method": pay,
                          "Payment Reference": f"c{oid}.1" if paid_at else "",
                          "Refunded Amount": dec(refunded),
                          "Outstanding Balance": "0.00" if paid_at else dec(total),
                          "Id": str(oid), "Risk Level": "Low", "Source": "web",
                          "Payment ID": f"c{oid}.1" if paid_at else "",
                          "Payment References": f"c{oid}.1" if paid_at else ""})
            rows.append([d[header[i]] for i in keep])
    return [[header[i] for i in keep]] + rows


def shopify():
    rows = shopify_rows(SHOPIFY_ORDERS, SHOPIFY_HEADER)
    save("shopify/orders_export.csv", csv_text(rows), "utf-8-bom")
    orders, skipped = [], 0
    for (name, email, status, created, items, disc, ship, tax, refunded, *_rest) in SHOPIFY_ORDERS:
        if status in ("pending", "voided", "authorized"):
            skipped += len(items)
            continue
        total = sum(q * p for q, _, p, _ in items) - (disc[1] if disc else 0) + ship + tax
        orders.append(order(name, email or None, created[:10], total - refunded, len(items), refunded))
    save_json("shopify/orders_export.csv.expected.json", expected(
        "shopify", orders, encoding="utf-8-bom", delimiter=",", rows_read=len(rows) - 1,
        skipped={"not paid": skipped}, currency="EUR", date_order=None,
        spot=["#1001", "#1003", "#1004", "#1006", "#1007", "#1009"],
        notes="UTF-8 BOM; one row per line item with Total/Financial Status/Refunded Amount/Id only "
              "on an order's first row; quoted multi-line Notes (with a quoted comma); ZIP '97317; "
              "pending (2 rows), voided and authorized orders skipped; #1006 fully refunded (net 0); "
              "#1007 created 00:30 +0200 so its local date differs from its UTC date; #1003 is a COD guest; "
              "#1004 has a 0.00 line item."))


# ---------------------------------------------------------------- square

SQUARE_HEADER = [
    "Date", "Time", "Time Zone", "Category", "Item", "Qty", "Price Point Name", "SKU",
    "Modifiers Applied", "Gross Sales", "Discounts", "Net Sales", "Tax", "Transaction ID",
    "Payment ID", "Device Name", "Notes", "Details", "Event Type", "Location",
    "Dining Option", "Customer ID", "Customer Name", "Customer Reference ID", "Unit",
    "Count", "GTIN", "Itemization Type", "Commission", "Employee", "Fulfillment Note",
    "Channel", "Token", "Card Brand", "PAN Suffix",
]

# event rows: (date, time, txn, event, category, item, qty, gross, discount, tax, cust_id, cust_name)
# Net Sales = gross + discount (discount <= 0).  cust_id None on a row = left blank on that row.
SQUARE_1 = [
    ("2021-06-03", "08:12:45", "tX3k9QmPz1", "Payment", "Coffee", "Latte", 1, 450, 0, 40, "QK9T2M6YB1", "Rosa Alvarez"),
    ("2021-06-03", "08:12:45", "tX3k9QmPz1", "Payment", "Bakery", "Croissant", 1, 350, 0, 31, None, None),
    ("2021-06-03", "09:40:02", "uA7bR2wLq8", "Payment", "Coffee", "Drip Coffee", 2, 600, 0, 53, "", ""),
    ("2021-06-05", "07:58:13", "vC1dE5fGh2", "Payment", "Coffee", "Latte", 2, 900, -100, 71, "QK9T2M6YB1", "Rosa Alvarez"),
    ("2021-06-05", "12:30:00", "wK4mN8pQr6", "Payment", "Catering", "Office Breakfast Box", 20, 124000, 0, 11005, "7ZP3H1D0VW", "Delta Design LLC"),
    ("2021-06-08", "15:04:59", "xL2oP6sTu3", "Payment", "Bakery", "Croissant", 2, 700, 0, 62, "B4NJ8R2K5E", "Sam Okafor"),
    ("2021-06-08", "15:04:59", "xL2oP6sTu3", "Payment", "Coffee", "Cold Brew", 1, 500, 0, 44, "B4NJ8R2K5E", "Sam Okafor"),
    ("2021-06-09", "10:15:27", "xL2oP6sTu3", "Refund", "Bakery", "Croissant", -1, -350, 0, -31, "", ""),
    ("2021-06-11", "23:48:10", "yM5qR9tVw4", "Payment", "Coffee", "Espresso", 1, 300, 0, 27, "", ""),
    ("2021-06-14", "08:01:44", "zN8sT2vXy7", "Payment", "Coffee", "Latte", 1, 450, -95, 32, "QK9T2M6YB1", "Rosa Alvarez"),
    ("2021-06-14", "08:01:44", "zN8sT2vXy7", "Payment", "Bakery", "Banana Bread", 1, 375, 0, 33, "QK9T2M6YB1", "Rosa Alvarez"),
    ("2021-06-14", "08:01:44", "zN8sT2vXy7", "Payment", "Coffee", "Oat Milk", 1, 75, 0, 7, "QK9T2M6YB1", "Rosa Alvarez"),
    ("2021-06-18", "13:22:09", "aP3uV7xZb5", "Payment", "Coffee", "Drip Coffee", 1, 300, 0, 27, "7ZP3H1D0VW", "Delta Design LLC"),
    ("2021-06-21", "16:45:31", "bQ6wX1zCd9", "Payment", "Merch", "Travel Mug", 1, 1800, 0, 160, "F9GH2JK7LM", "Lee Park"),
    ("2021-06-22", "09:05:00", "bQ6wX1zCd9", "Refund", "Merch", "Travel Mug", -1, -1800, 0, -160, "F9GH2JK7LM", "Lee Park"),
    ("2021-06-25", "11:11:11", "cR9yZ4bEf2", "Payment", "Bakery", "Muffin", 3, 975, 0, 87, "", ""),
]

SQUARE_2 = [  # older export: M/D/YYYY dates, Pacific, "Total Collected" twice
    ("6/2/2017", "10:03:12", "L8fj2kQpW1", "Payment", "Plants", "Fiddle Leaf Fig", 1, 4500, 0, 394, "P2M9X4C7", "Olive Grant"),
    ("6/2/2017", "10:03:12", "L8fj2kQpW1", "Payment", "Pots", "Terracotta Pot 8in", 2, 1600, -160, 126, "P2M9X4C7", "Olive Grant"),
    ("6/9/2017", "14:27:40", "M3gk7lRqX2", "Payment", "Plants", "Snake Plant", 1, 2200, 0, 193, "", ""),
    ("6/14/2017", "09:51:05", "N6hl1mSrY3", "Payment", "Soil", "Potting Mix 10qt", 1, 1299, 0, 114, "R7T3V8B1", "Hugo Marsh"),
    ("6/21/2017", "17:30:59", "O9im4nTsZ4", "Payment", "Plants", "Pothos", 3, 2700, 0, 236, "P2M9X4C7", "Olive Grant"),
    ("6/22/2017", "10:00:00", "O9im4nTsZ4", "Refund", "Plants", "Pothos", -1, -900, 0, -79, "P2M9X4C7", "Olive Grant"),
    ("6/27/2017", "12:12:12", "P1jn7oUtA5", "Payment", "Pots", "Ceramic Pot 6in", 1, 1400, 0, 123, "R7T3V8B1", "Hugo Marsh"),
    ("6/30/2017", "18:45:00", "Q4ko0pVuB6", "Payment", "Plants", "Monstera", 1, 5500, -550, 433, "", ""),
]


def square_rows(events, header, tz, total_collected=False):
    rows = [list(header)]
    txn_total = {}
    for e in events:
        if e[3] == "Payment":
            txn_total[e[2]] = txn_total.get(e[2], 0) + e[7] + e[8] + e[9]
    for n, (date, time, txn, ev, cat, item, qty, gross, disc, tax, cid, cname) in enumerate(events):
        d = {"Date": date, "Time": time, "Time Zone": tz, "Category": cat, "Item": item,
             "Qty": str(qty), "Price Point Name": "Regular", "SKU": "",
             "Gross Sales": usd(gross), "Discounts": usd(disc), "Net Sales": usd(gross + disc),
             "Tax": usd(tax), "Transaction ID": txn, "Payment ID": txn[::-1] + "Pay",
             "Device Name": "Front Counter", "Details": f"https://squareup.com/dashboard/sales/transactions/{txn}",
             "Event Type": ev, "Location": "Main Street", "Dining Option": "For Here",
             "Customer ID": cid or "", "Customer Name": cname or "", "Unit": "", "Count": str(abs(qty)),
             "Itemization Type": "Physical Item", "Commission": "$0.00", "Employee": "Kim",
             "Channel": "Point of Sale", "Token": f"DpTok{n:03d}", "Card Brand": "Visa" if n % 3 else "",
             "PAN Suffix": "4242" if n % 3 else ""}
        row = []
        tc_seen = 0
        for h in header:
            if h == "Total Collected":
                row.append(usd(gross + disc + tax) if tc_seen == 0 else usd(txn_total.get(txn, 0) if ev == "Payment" else gross + disc + tax))
                tc_seen += 1
            else:
                row.append(d.get(h, ""))
        rows.append(row)
    return rows


def square_orders(events):
    by_txn = {}
    for (date, time, txn, ev, cat, item, qty, gross, disc, tax, cid, cname) in events:
        o = by_txn.setdefault(txn, {"paid": 0, "ref": 0, "date": None, "key": None, "lines": 0})
        if ev == "Payment":
            o["paid"] += gross + disc + tax
            o["lines"] += 1
            o["date"] = o["date"] or date
            if cid and not o["key"]:
                o["key"] = cid
        else:
            o["ref"] += abs(gross + disc + tax)
    out = []
    for txn, o in by_txn.items():
        m, d, y = (o["date"].split("/") if "/" in o["date"] else (None, None, None))
        iso = f"{y}-{int(m):02d}-{int(d):02d}" if m else o["date"]
        out.append(order(txn, o["key"], iso, o["paid"] - o["ref"], o["lines"], o["ref"]))
    return out


def square():
    rows = square_rows(SQUARE_1, SQUARE_HEADER, "Eastern Time (US & Canada)")
    save("square/items-2021-06-01-2021-07-01.csv", csv_text(rows), "utf-8")
    orders = square_orders(SQUARE_1)
    save_json("square/items-2021-06-01-2021-07-01.csv.expected.json", expected(
        "square", orders, encoding="utf-8", delimiter=",", rows_read=len(rows) - 1,
        currency="USD", date_order=None,
        spot=["tX3k9QmPz1", "uA7bR2wLq8", "vC1dE5fGh2", "wK4mN8pQr6", "xL2oP6sTu3", "bQ6wX1zCd9"],
        notes="Items CSV, one row per item grouped by Transaction ID; $-money with -$1.00 discounts and "
              "\"$1,240.00\"; Customer ID only on the first row of tX3k9QmPz1; Refund event rows "
              "(same Transaction ID, negative) reduce xL2oP6sTu3 (partial) and bQ6wX1zCd9 (full, net 0); "
              "yM5qR9tVw4 at 23:48 Eastern keeps its written date."))

    hdr2 = SQUARE_HEADER[:13] + ["Total Collected"] + SQUARE_HEADER[13:21] + \
        ["Customer ID", "Customer Name", "Customer Reference ID", "Total Collected"]
    rows = square_rows(SQUARE_2, hdr2, "Pacific Time (US & Canada)")
    save("square/items-2017-06-01-2017-07-01.csv", csv_text(rows, eol="\r\n"), "utf-8")
    orders = square_orders(SQUARE_2)
    save_json("square/items-2017-06-01-2017-07-01.csv.expected.json", expected(
        "square", orders, encoding="utf-8", delimiter=",", rows_read=len(rows) - 1,
        currency="USD", date_order="mdy",
        spot=["L8fj2kQpW1", "M3gk7lRqX2", "O9im4nTsZ4"],
        notes="Older items export: header has 'Total Collected' twice (first = the row's net+tax, second "
              "= the whole transaction's total repeated on every row -- summing it double-counts); "
              "M/D/YYYY dates (6/21/2017 settles mdy); CRLF line ends; O9im4nTsZ4 partly refunded."))


# ---------------------------------------------------------------- stripe

STRIPE_HEADER = [
    "id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured",
    "Converted Amount", "Converted Amount Refunded", "Converted Currency", "Description",
    "Fee", "Is Link", "Mode", "Refunded date (UTC)", "Statement Descriptor", "Status",
    "Seller Message", "Taxes On Fee", "Card ID", "Card Brand", "Card Last4", "Customer ID",
    "Customer Description", "Customer Email", "Invoice ID", "Transfer",
    "order_id (metadata)",
]

# id, created, amount, refunded, captured, status, customer id, email, description, refunded date
STRIPE_ROWS = [
    ("ch_3JaB1cKxYz0Q0001", "2021-05-03 14:22:05", 4900, 0, "true", "Paid", "cus_JkL1aa", "alice.wong@example.com", "Pottery class - May", ""),
    ("ch_3JaB1cKxYz0Q0002", "2021-05-04 09:01:13", 12000, 0, "true", "Paid", "cus_Mn2bbb", "", "Wheel rental 10h", ""),
    ("ch_3JaB1cKxYz0Q0003", "2021-05-06 18:45:00", 4900, 4900, "true", "Refunded", "cus_JkL1aa", "alice.wong@example.com", "Pottery class - June", "2021-05-08 10:00:00"),
    ("ch_3JaB1cKxYz0Q0004", "2021-05-07 11:11:11", 2500, 0, "false", "Failed", "cus_Pq3ccc", "dan.ito@example.com", "Glaze kit", ""),
    ("ch_3JaB1cKxYz0Q0005", "2021-05-10 23:30:00", 7550, 0, "true", "Paid", "", "", "Gift voucher", ""),
    ("", "2021-05-11 00:00:00", 1000, 0, "true", "Paid", "", "", "Manual adjustment", ""),
    ("ch_3JaB1cKxYz0Q0007", "2021-05-13 09:01:13", 124000, 24000, "true", "Paid", "cus_Rs4ddd", "bob.marsh@example.org", "Studio rental - corporate event", "2021-05-20 16:30:00"),
    ("ch_3JaB1cKxYz0Q0008", "2021-05-14 12:00:00", 3000, 0, "false", "Uncaptured", "cus_Tu5eee", "erin.cole@example.com", "Clay 10kg (on hold)", ""),
    ("ch_3JaB1cKxYz0Q0009", "2021-05-15 08:20:44", 6000, 0, "true", "Paid", "cus_Mn2bbb", "", "Wheel rental 5h", ""),
    ("ch_3JaB1cKxYz0Q0010", "2021-05-18 17:05:09", 1999, 0, "true", "Paid", "cus_JkL1aa", "alice.wong@example.com", "Glaze kit", ""),
    ("ch_3JaB1cKxYz0Q0011", "2021-05-20 19:40:31", 8900, 0, "false", "Failed", "", "", "Pottery class - June", ""),
    ("ch_3JaB1cKxYz0Q0012", "2021-05-22 10:10:10", 3300, 0, "true", "Paid", "", "carol.diaz@example.com", "Clay 5kg", ""),
    ("ch_3JaB1cKxYz0Q0013", "2021-05-25 13:13:13", 4500, 500, "true", "Paid", "cus_Mn2bbb", "", "Wheel rental 4h", "2021-05-26 09:00:00"),
    ("ch_3JaB1cKxYz0Q0014", "2021-05-31 23:59:59", 1500, 0, "true", "Paid", "cus_Rs4ddd", "bob.marsh@example.org", "Tool set", ""),
]


def stripe():
    rows = [list(STRIPE_HEADER)]
    orders, skipped = [], {"no order id": 0, "failed or uncaptured charge": 0}
    for n, (cid, created, amt, ref, cap, status, cus, email, desc, refd) in enumerate(STRIPE_ROWS):
        fee = (amt * 29 + 50) // 1000 + 30 if cap == "true" else 0
        d = {"id": cid, "Created date (UTC)": created, "Amount": dec(amt), "Amount Refunded": dec(ref),
             "Currency": "usd", "Captured": cap, "Converted Amount": dec(amt),
             "Converted Amount Refunded": dec(ref), "Converted Currency": "usd", "Description": desc,
             "Fee": dec(fee), "Is Link": "false", "Mode": "Live", "Refunded date (UTC)": refd,
             "Statement Descriptor": "CLAYWORKS", "Status": status,
             "Seller Message": "Payment complete." if status != "Failed" else "The bank did not return any further details with this decline.",
             "Taxes On Fee": "0.00", "Card ID": f"card_1JaB{n:04d}" if cid else "",
             "Card Brand": "Visa" if n % 2 else "MasterCard", "Card Last4": "4242" if n % 2 else "4444",
             "Customer ID": cus, "Customer Description": "", "Customer Email": email,
             "Invoice ID": "", "Transfer": "", "order_id (metadata)": f"{5100 + n}" if cid else ""}
        rows.append([d[h] for h in STRIPE_HEADER])
        if not cid:
            skipped["no order id"] += 1
        elif status == "Failed" or cap == "false":
            skipped["failed or uncaptured charge"] += 1
        else:
            orders.append(order(cid, email or cus or None, created[:10], amt - ref, 0, ref))
    save("stripe/unified_payments.csv", csv_text(rows), "utf-8")
    save_json("stripe/unified_payments.csv.expected.json", expected(
        "stripe", orders, encoding="utf-8", delimiter=",", rows_read=len(rows) - 1,
        skipped=skipped, currency="USD", date_order=None,
        spot=["ch_3JaB1cKxYz0Q0002", "ch_3JaB1cKxYz0Q0003", "ch_3JaB1cKxYz0Q0005",
              "ch_3JaB1cKxYz0Q0007", "ch_3JaB1cKxYz0Q0012", "ch_3JaB1cKxYz0Q0014"],
        notes="Unified payments, one row per charge, amounts in major units with lowercase 'usd'; "
              "2 Failed + 1 Uncaptured (Captured=false) rows and one row with an empty id are skipped; "
              "cus_Mn2bbb has no email (key = customer id), ch_..0012 has an email but no customer id, "
              "ch_..0005 is a guest; refunds on the sale row (full: ch_..0003, partial: 0007, 0013); "
              "times are UTC, expected local dates assume the shop zone is UTC (0014 is 23:59:59 UTC). "
              "No line items: lines = 0."))


# ---------------------------------------------------------------- paypal

PAYPAL_HEADER = [
    "Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross", "Fee", "Net",
    "From Email Address", "To Email Address", "Transaction ID", "Shipping Address",
    "Address Status", "Item Title", "Item ID", "Shipping and Handling Amount",
    "Insurance Amount", "Sales Tax", "Option 1 Name", "Option 1 Value", "Option 2 Name",
    "Option 2 Value", "Reference Txn ID", "Invoice Number", "Custom Number", "Quantity",
    "Receipt ID", "Balance", "Address Line 1", "Address Line 2/District/Neighborhood",
    "Town/City", "State/Province/Region/County/Territory/Prefecture/Republic",
    "Zip/Postal Code", "Country", "Contact Phone Number", "Subject", "Note", "Country Code",
    "Balance Impact",
]

PAYPAL_SALE_TYPES = ("Express Checkout Payment", "Website Payment", "Payment Received",
                     "General Payment", "Mobile Payment", "Subscription Payment")
SHOP_PP = "orders@candleshop.example.com"

# date, time, tz, name, type, status, gross, from email, txn id, item, ref txn, impact
PAYPAL_1 = [
    ("02/03/2021", "10:14:22", "PST", "Priya Raman", "Express Checkout Payment", "Completed", 4500, "priya.raman@example.com", "1AB23456CD7890121", "Hand-poured Candle", "", "Credit"),
    ("02/05/2021", "16:02:48", "PST", "Jonas Weber", "General Authorization", "Pending", 8000, "jonas.weber@example.org", "2BC34567DE8901232", "Candle Making Kit", "", "Memo"),
    ("02/14/2021", "09:30:00", "PST", "Dmitri Volkov", "Website Payment", "Completed", 156000, "dmitri.volkov@example.org", "3CD45678EF9012343", "Wedding favours (120 candles)", "", "Credit"),
    ("02/20/2021", "11:45:10", "PST", "Priya Raman", "Payment Refund", "Completed", -2000, SHOP_PP, "4DE56789FG0123454", "Hand-poured Candle", "1AB23456CD7890121", "Debit"),
    ("03/02/2021", "08:00:00", "PST", "", "General Withdrawal", "Completed", -50000, SHOP_PP, "5EF67890GH1234565", "", "", "Debit"),
    ("03/09/2021", "20:12:31", "PST", "Li Wei", "Express Checkout Payment", "Pending", 3000, "li.wei@example.com", "6FG78901HI2345676", "Beeswax Taper (pair)", "", "Credit"),
    ("03/16/2021", "13:05:44", "PDT", "Priya Raman", "Mobile Payment", "Completed", 2250, "priya.raman@example.com", "7GH89012IJ3456787", "Tealight Set", "", "Credit"),
    ("03/21/2021", "07:30:00", "PDT", "", "Hold on Balance for Dispute Investigation", "Completed", -2250, SHOP_PP, "8HI90123JK4567898", "", "7GH89012IJ3456787", "Debit"),
    ("03/28/2021", "22:22:22", "PDT", "Kai Berg", "Express Checkout Payment", "Denied", 9900, "kai.berg@example.com", "9IJ01234KL5678909", "Candle Making Kit", "", "Credit"),
    ("04/02/2021", "12:00:01", "PDT", "Li Wei", "General Payment", "Completed", 1200, "li.wei@example.com", "0JK12345LM6789010", "Wick Pack", "", "Credit"),
    ("04/10/2021", "06:15:00", "PDT", "Sofia Marino", "Subscription Payment", "Completed", 999, "sofia.marino@example.com", "1KL23456MN7890121", "Candle Club - monthly", "", "Credit"),
    ("04/10/2021", "06:15:02", "PDT", "Jonas Weber", "Account Hold for Open Authorization", "Completed", -8000, "jonas.weber@example.org", "2LM34567NO8901232", "", "2BC34567DE8901232", "Memo"),
    ("05/10/2021", "06:15:00", "PDT", "Sofia Marino", "Subscription Payment", "Completed", 999, "sofia.marino@example.com", "3MN45678OP9012343", "Candle Club - monthly", "", "Credit"),
    ("05/11/2021", "15:40:12", "PDT", "Dmitri Volkov", "Payment Refund", "Completed", -156000, SHOP_PP, "4NO56789PQ0123454", "Wedding favours (120 candles)", "3CD45678EF9012343", "Debit"),
    ("05/14/2021", "18:03:27", "PDT", "Priya Raman", "Website Payment", "Completed", 6400, "priya.raman@example.com", "5OP67890QR1234565", "Soy Pillar Candle x2", "", "Credit"),
    ("05/15/2021", "23:59:00", "PDT", "Oscar Nilsson", "Express Checkout Payment", "Completed", 3875, "oscar.nilsson@example.com", "6PQ78901RS2345676", "Scented Candle Trio", "", "Credit"),
]

# older download: header 'Time Zone' with spaces after the commas, cp1252, no Balance Impact
PAYPAL_OLD_HEADER = ["Date", "Time", "Time Zone", "Name", "Type", "Status", "Currency", "Gross",
                     "Fee", "Net", "From Email Address", "To Email Address", "Transaction ID",
                     "Counterparty Status", "Address Status", "Item Title", "Item ID",
                     "Shipping and Handling Amount", "Insurance Amount", "Sales Tax",
                     "Reference Txn ID", "Invoice Number", "Custom Number", "Quantity",
                     "Receipt ID", "Balance", "Contact Phone Number"]
PAYPAL_2 = [
    ("1/5/2016", "10:14:22", "EST", "Renée Dubois", "Payment Received", "Completed", 2400, "renee.dubois@example.com", "0AA11111BB2222201", "Lavender Soap Bar x3", ""),
    ("1/13/2016", "15:20:00", "EST", "Bjørn Larsen", "Express Checkout Payment", "Completed", 124000, "bjorn.larsen@example.org", "0AA11111BB2222202", "Hotel amenity order", ""),
    ("1/20/2016", "09:00:00", "EST", "", "Withdraw Funds to Bank Account", "Completed", -100000, SHOP_PP, "0AA11111BB2222203", "", ""),
    ("2/2/2016", "11:11:11", "EST", "Renée Dubois", "Payment Received", "Completed", 1800, "renee.dubois@example.com", "0AA11111BB2222204", "Rose Soap Bar x2", ""),
    ("2/9/2016", "17:45:30", "EST", "Zoë Papadopoulos", "Payment Received", "Pending", 900, "zoe.p@example.com", "0AA11111BB2222205", "Oatmeal Soap Bar", ""),
    ("2/15/2016", "08:30:00", "EST", "Bjørn Larsen", "Payment Refund", "Completed", -24000, SHOP_PP, "0AA11111BB2222206", "Hotel amenity order", "0AA11111BB2222202"),
    ("3/14/2016", "12:00:00", "EDT", "Zoë Papadopoulos", "Payment Received", "Completed", 900, "zoe.p@example.com", "0AA11111BB2222207", "Oatmeal Soap Bar", ""),
    ("3/30/2016", "19:19:19", "EDT", "Françoise Martin", "Express Checkout Payment", "Completed", 3650, "francoise.martin@example.com", "0AA11111BB2222208", "Gift Box", ""),
    ("4/1/2016", "10:00:00", "EDT", "Renée Dubois", "Payment Received", "Completed", 1200, "renee.dubois@example.com", "0AA11111BB2222209", "Travel Soap Tin", ""),
    ("4/8/2016", "14:14:14", "EDT", "Kai Berg", "Payment Received", "Denied", 5000, "kai.berg@example.com", "0AA11111BB2222210", "Soap Sampler", ""),
]


def paypal_orders(rows):
    orders, by_txn = [], {}
    skipped = {"not a sale": 0, "not paid": 0}
    for r in rows:
        date, time, tz, name, typ, status, gross, frm, txn, item, ref = r[:11]
        impact = r[11] if len(r) > 11 else None
        if typ == "Payment Refund":
            by_txn[ref]["refunded"] += -gross
            by_txn[ref]["net_minor"] += gross
            continue
        sale = typ in PAYPAL_SALE_TYPES and gross > 0 and impact in (None, "Credit")
        if not sale:
            skipped["not a sale"] += 1
        elif status != "Completed":
            skipped["not paid"] += 1
        else:
            m, d, y = date.split("/")
            o = order(txn, frm, f"{y}-{int(m):02d}-{int(d):02d}", gross, 1 if item else 0)
            orders.append(o)
            by_txn[txn] = o
    return orders, skipped


def paypal():
    rows = [list(PAYPAL_HEADER)]
    bal = 25000
    for (date, time, tz, name, typ, status, gross, frm, txn, item, ref, impact) in PAYPAL_1:
        fee = -((gross * 29 + 50) // 1000 + 30) if gross > 0 and impact == "Credit" and status == "Completed" else 0
        if impact != "Memo" and status == "Completed":
            bal += gross + fee
        d = {"Date": date, "Time": time, "TimeZone": tz, "Name": name, "Type": typ, "Status": status,
             "Currency": "USD", "Gross": dec(gross, thousands=True), "Fee": dec(fee, thousands=True),
             "Net": dec(gross + fee, thousands=True), "From Email Address": frm,
             "To Email Address": SHOP_PP if frm != SHOP_PP else "", "Transaction ID": txn,
             "Address Status": "Confirmed" if gross > 0 else "", "Item Title": item,
             "Shipping and Handling Amount": "0.00", "Insurance Amount": "0.00", "Sales Tax": "0.00",
             "Reference Txn ID": ref, "Quantity": "1" if item else "",
             "Balance": dec(bal, thousands=True), "Country Code": "US" if gross > 0 else "",
             "Balance Impact": impact}
        rows.append([d.get(h, "") for h in PAYPAL_HEADER])
    save("paypal/Download.CSV", csv_text(rows, quote_all=True, eol="\r\n"), "utf-8-bom")
    orders, skipped = paypal_orders(PAYPAL_1)
    save_json("paypal/Download.CSV.expected.json", expected(
        "paypal", orders, encoding="utf-8-bom", delimiter=",", rows_read=len(rows) - 1,
        skipped=skipped, currency="USD", date_order="mdy",
        spot=["1AB23456CD7890121", "3CD45678EF9012343", "7GH89012IJ3456787", "6PQ78901RS2345676"],
        notes="Activity download: UTF-8 BOM, every field quoted, CRLF; Gross like \"1,560.00\"; "
              "PST then PDT in the TimeZone column; refunds are separate negative 'Payment Refund' rows "
              "whose Reference Txn ID points at the sale (partial on 1AB..., full on 3CD... -> net 0); "
              "authorization/hold/withdrawal rows (Memo or Debit) are 'not a sale'; a Pending and a "
              "Denied payment are 'not paid'. Refund rows are read but are neither orders nor skipped."))

    # older download: cp1252, header with ", " separators, M/D/YYYY, EST/EDT, no Balance Impact
    lines = [", ".join(PAYPAL_OLD_HEADER)]
    for (date, time, tz, name, typ, status, gross, frm, txn, item, ref) in PAYPAL_2:
        fee = -((gross * 29 + 50) // 1000 + 30) if gross > 0 and status == "Completed" and typ in PAYPAL_SALE_TYPES else 0
        d = {"Date": date, "Time": time, "Time Zone": tz, "Name": name, "Type": typ, "Status": status,
             "Currency": "USD", "Gross": dec(gross, thousands=True), "Fee": dec(fee, thousands=True),
             "Net": dec(gross + fee, thousands=True), "From Email Address": frm,
             "To Email Address": SHOP_PP if frm != SHOP_PP else "", "Transaction ID": txn,
             "Counterparty Status": "Verified" if gross > 0 else "", "Address Status": "Confirmed" if gross > 0 else "",
             "Item Title": item, "Shipping and Handling Amount": "0.00", "Insurance Amount": "0.00",
             "Sales Tax": "0.00", "Reference Txn ID": ref, "Quantity": "1" if item else ""}
        lines.append(csv_text([[d.get(h, "") for h in PAYPAL_OLD_HEADER]], eol=""))
    text = "\r\n".join(lines) + "\r\n"
    save("paypal/Download-2016.csv", text, "windows-1252")
    orders, skipped = paypal_orders(PAYPAL_2)
    save_json("paypal/Download-2016.csv.expected.json", expected(
        "paypal", orders, encoding="windows-1252", delimiter=",", rows_read=len(PAYPAL_2),
        skipped=skipped, currency="USD", date_order="mdy",
        spot=["0AA11111BB2222201", "0AA11111BB2222202", "0AA11111BB2222207"],
        notes="Older download: cp1252 (Renée, Bjørn, Zoë, Françoise), header written with ', ' "
              "separators (' Time Zone' etc. need trimming), data rows plain CSV, M/D/YYYY dates "
              "(1/13/2016 settles mdy), EST/EDT, no Balance Impact column (judge by Type/Gross/Status "
              "only); a bank withdrawal is 'not a sale', a Pending and a Denied payment 'not paid'; "
              "0AA..202 partly refunded by a Payment Refund row."))


# ---------------------------------------------------------------- etsy

ETSY_HEADER = [
    "Sale Date", "Order ID", "Buyer User ID", "Full Name", "First Name", "Last Name",
    "Number of Items", "Payment Method", "Date Shipped", "Street 1", "Street 2", "Ship City",
    "Ship State", "Ship Zipcode", "Ship Country", "Currency", "Order Value", "Coupon Code",
    "Coupon Details", "Discount Amount", "Shipping Discount", "Shipping", "Sales Tax",
    "Order Total", "Status", "Card Processing Fees", "Order Net", "Adjusted Order Total",
    "Adjusted Card Processing Fees", "Adjusted Net Order Amount", "Buyer", "Order Type",
    "Payment Type", "InPerson Discount", "InPerson Location", "SKU",
]

# sale date, order id, buyer user id, full name, items, value, (coupon, discount), shipping, tax, adjusted total, skus
ETSY_ORDERS = [
    ("05/02/21", "2145678901", "mossyknits", "Fern Gallagher", 1, 2400, None, 450, 0, None, "SCARF-MOSS"),
    ("05/04/21", "2146001122", "birchandbramble", "Oliver Quinn", 2, 3800, ("SPRING10", 380), 0, 270, None, "HAT-RED,MITT-RED"),
    ("05/07/21", "2146334455", "", "Harriet Vance", 1, 1700, None, 425, 140, None, "COWL-OAT"),
    ("05/13/21", "2146778899", "mossyknits", "Fern Gallagher", 3, 5100, None, 650, 0, 4500, "SOCK-GRY,SOCK-BLU,SOCK-GRN"),
    ("05/15/21", "2147001234", "tessaweaves", "Tessa Lindqvist", 1, 8500, None, 0, 680, 0, "BLANKET-XL"),
    ("05/19/21", "2147223344", "purlandpine", "Ida Novak", 2, 3000, ("THANKYOU", 300), 450, 0, None, "HAT-GRN,HAT-GRN"),
    ("05/22/21", "2147556677", "birchandbramble", "Oliver Quinn", 1, 1200, None, 350, 0, None, "PATTERN-PDF"),
    ("05/26/21", "2147889900", "", "Marco Bellini", 1, 4000, None, 0, 320, None, "SCARF-RUST"),
    ("05/30/21", "2148112233", "quiltedowl", "Ruth Adeyemi", 4, 12400, None, 1200, 0, None, "QUILT-TOP,FAT-QTR,FAT-QTR,BINDING"),
    ("06/01/21", "2148445566", "mossyknits", "Fern Gallagher", 1, 900, None, 350, 0, None, "PATTERN-PDF"),
    ("06/03/21", "2148778899", "purlandpine", "Ida Novak", 1, 2550, None, 450, 204, None, "SOCK-BLU"),
]


def etsy():
    rows = [list(ETSY_HEADER)]
    orders = []
    for (sd, oid, uid, name, n, value, coupon, ship, tax, adj, skus) in ETSY_ORDERS:
        code, disc = coupon if coupon else ("", 0)
        total = value - disc + ship + tax
        fee = (total * 3 + 50) // 100 + 25
        first, last = name.split(" ", 1)
        mm, dd, yy = sd.split("/")
        shipped = f"{mm}/{int(dd) + 2:02d}/{yy}" if int(dd) < 28 else f"{int(mm) + 1:02d}/01/{yy}"
        d = {"Sale Date": sd, "Order ID": oid, "Buyer User ID": uid, "Full Name": name,
             "First Name": first, "Last Name": last, "Number of Items": str(n),
             "Payment Method": "Other" if not uid else "Etsy Payments", "Date Shipped": shipped,
             "Street 1": "12 Orchard Lane", "Ship City": "Portland", "Ship State": "OR",
             "Ship Zipcode": "97214", "Ship Country": "United States", "Currency": "USD",
             "Order Value": trimmed(value), "Coupon Code": code,
             "Coupon Details": f"{code} - 10% off" if code else "", "Discount Amount": trimmed(disc),
             "Shipping Discount": "0", "Shipping": trimmed(ship), "Sales Tax": trimmed(tax),
             "Order Total": trimmed(total), "Status": "Completed", "Card Processing Fees": trimmed(fee),
             "Order Net": trimmed(total - fee),
             "Adjusted Order Total": "" if adj is None else trimmed(adj),
             "Adjusted Card Processing Fees": "" if adj is None else trimmed((adj * 3 + 50) // 100 + 25 if adj else 25),
             "Adjusted Net Order Amount": "" if adj is None else trimmed(adj - ((adj * 3 + 50) // 100 + 25 if adj else 25)),
             "Buyer": f"{name} ({uid})" if uid else name, "Order Type": "online",
             "Payment Type": "online_cc", "InPerson Discount": "", "InPerson Location": "", "SKU": skus}
        rows.append([d.get(h, "") for h in ETSY_HEADER])
        refund = total - adj if adj is not None else 0
        orders.append(order(oid, uid or name, f"20{yy}-{mm}-{dd}", total - refund, 0, refund))
    save("etsy/EtsySoldOrders2021-5.csv", csv_text(rows), "utf-8")
    save_json("etsy/EtsySoldOrders2021-5.csv.expected.json", expected(
        "etsy", orders, encoding="utf-8", delimiter=",", rows_read=len(rows) - 1,
        currency="USD", date_order="mdy",
        spot=["2145678901", "2146334455", "2146778899", "2147001234", "2148112233"],
        notes="One row per order, MM/DD/YY dates (05/13/21 settles mdy), Excel-trimmed money "
              "(17, 4.25, 1.4, 124, 0); refunds via Adjusted Order Total (partial on 2146778899, "
              "full -> 0 on 2147001234); two guest checkouts with blank Buyer User ID are keyed by "
              "Full Name; mossyknits has 3 orders. No item rows in this report: lines = 0."))


# ---------------------------------------------------------------- woocommerce

WOO_AOE_HEADER = ["Order Number", "Order Status", "Order Date", "Email (Billing)",
                  "First Name (Billing)", "Last Name (Billing)", "Order Total Amount",
                  "Order Refund Amount", "Coupon Code", "Quantity", "Item Name",
                  "Item Cost", "Order Shipping Amount", "Payment Method Title", "Order Currency",
                  "City (Shipping)", "Country Code (Shipping)"]

# number, status, date (DD/MM/YYYY), email, first, last, items [(qty, name, unit cents)], shipping, refund, coupon(code, cents)
WOO_AOE = [
    ("1201", "Completed", "03/05/2021", "hans.mueller@example.com", "Hans", "Müller",
     [(2, "Kaffeebecher „Bergsee“", 1250), (1, "Untersetzer-Set", 890)], 490, 0, None),
    ("1202", "Processing", "07/05/2021", "zoe.lambert@example.org", "Zoë", "Lambert",
     [(1, "Teekanne Steingut", 3582)], 490, 0, None),
    ("1203", "Refunded", "09/05/2021", "francoise.roux@example.com", "Françoise", "Roux",
     [(2, "Servierplatte", 2655)], 490, 5800, None),
    ("1204", "Pending payment", "12/05/2021", "piet.dekker@example.org", "Piet", "Dekker",
     [(1, "Teekanne Steingut", 3582), (4, "Kaffeebecher „Bergsee“", 1250)], 490, 0, None),
    ("1205", "Completed", "14/05/2021", "hans.mueller@example.com", "Hans", "Müller",
     [(6, "Kaffeebecher „Bergsee“", 1250)], 0, 0, ("SOMMER10", 750)),
    ("1206", "Completed", "18/05/2021", "juergen.weiss@example.com", "Jürgen", "Weiß",
     [(1, "Servierplatte", 2655), (2, "Untersetzer-Set", 890), (1, "Geschenkkarton", 250)], 490, 1000, None),
    ("1207", "Cancelled", "20/05/2021", "zoe.lambert@example.org", "Zoë", "Lambert",
     [(1, "Servierplatte", 2655)], 490, 0, None),
    ("1208", "Completed", "25/05/2021", "zoe.lambert@example.org", "Zoë", "Lambert",
     [(2, "Untersetzer-Set", 890)], 490, 0, None),
    ("1209", "Processing", "30/05/2021", "anais.perrin@example.com", "Anaïs", "Perrin",
     [(1, "Teekanne Steingut", 3582), (1, "Servierplatte", 2655)], 0, 0, ("GRATISVERSAND", 0)),
]

WOO_WT_HEADER = [
    "order_id", "order_number", "order_date", "paid_date", "status", "shipping_total",
    "shipping_tax_total", "fee_total", "tax_total", "cart_discount", "discount_total",
    "order_total", "order_subtotal", "order_key", "order_currency", "payment_method",
    "payment_method_title", "transaction_id", "shipping_method", "customer_id", "customer_email",
    "billing_first_name", "billing_last_name", "billing_company", "billing_email", "billing_phone",
    "billing_address_1", "billing_postcode", "billing_city", "billing_country", "customer_note",
    "coupon_items", "line_item_1", "line_item_2",
]

# id, date, status, customer_id, email, first, last, items [(name, product_id, sku, qty, line total)], shipping, tax, discount(code, cents)
WOO_WT = [
    ("3101", "2021-05-02 10:11:12", "wc-completed", "14", "maya.brooks@example.com", "Maya", "Brooks",
     [("Linen Napkins (set of 4)", 57, "NAP-4", 2, 4800)], 600, 454, None),
    ("3102", "2021-05-04 18:40:00", "wc-processing", "0", "guest.buyer@example.org", "Ravi", "Shah",
     [("Beeswax Wrap, large", 61, "WRAP-L", 3, 2700), ("Jute Twine", 64, "TWINE", 1, 450)], 600, 315, None),
    ("3103", "2021-05-06 09:05:30", "wc-on-hold", "22", "leo.hart@example.com", "Leo", "Hart",
     [("Linen Napkins (set of 4)", 57, "NAP-4", 1, 2400)], 600, 240, None),
    ("3104", "2021-05-09 14:14:14", "wc-completed", "14", "maya.brooks@example.com", "Maya", "Brooks",
     [("Table Runner \"Harvest\"", 58, "RUN-H", 1, 3900)], 0, 312, ("FREESHIP", 0)),
    ("3105", "2021-05-11 21:03:45", "wc-pending", "0", "tina.ross@example.org", "Tina", "Ross",
     [("Jute Twine", 64, "TWINE", 2, 900)], 600, 120, None),
    ("3106", "2021-05-15 11:01:13", "wc-completed", "31", "omar.haddad@example.com", "Omar", "Haddad",
     [("Linen Tablecloth 200cm", 59, "CLOTH-200", 1, 12400), ("Linen Napkins (set of 4)", 57, "NAP-4", 2, 4800)],
     0, 1376, ("WELCOME15", 2580)),
    ("3107", "2021-05-20 08:30:00", "wc-completed", "14", "maya.brooks@example.com", "Maya", "Brooks",
     [("Beeswax Wrap, large", 61, "WRAP-L", 1, 900)], 600, 120, None),
    ("3108", "2021-05-24 16:16:16", "wc-processing", "0", "guest.buyer@example.org", "Ravi", "Shah",
     [("Jute Twine", 64, "TWINE", 4, 1800)], 600, 192, None),
    ("3109", "2021-05-28 13:00:00", "wc-completed", "22", "leo.hart@example.com", "Leo", "Hart",
     [("Table Runner \"Harvest\"", 58, "RUN-H", 2, 7800)], 0, 624, None),
    ("3110", "2021-05-31 23:50:00", "wc-completed", "40", "nina.vogel@example.com", "Nina", "Vogel",
     [("Linen Tablecloth 200cm", 59, "CLOTH-200", 1, 12400)], 600, 1040, None),
]

WOO_AN_HEADER = ["Date", "Order #", "Status", "Customer", "Customer type", "Product(s)",
                 "Items sold", "Coupon(s)", "Net sales", "Attribution"]

# date, order #, status, customer, type, products, items sold, coupons, net sales cents
WOO_AN = [
    ("2021-06-01", "4501", "Completed", "Grace Lee", "new", "Ceramic Vase", 1, "", 4500),
    ("2021-06-02", "4502", "Processing", "Tom Baker", "new", "Bud Vase, Ceramic Vase", 2, "", 6300),
    ("2021-06-04", "4503", "Completed", "Grace Lee", "returning", "Planter Small", 2, "june10", 3240),
    ("2021-06-05", "4504", "Failed", "Ivy Chen", "new", "Ceramic Vase", 1, "", 4500),
    ("2021-06-07", "4505", "Completed", "", "new", "Bud Vase", 1, "", 1800),
    ("2021-06-09", "4502", "Refunded", "Tom Baker", "returning", "Bud Vase", 1, "", -1800),
    ("2021-06-10", "4506", "Completed", "Ivy Chen", "new", "Planter Large, Planter Small, Saucer", 4, "", 8850),
    ("2021-06-12", "4507", "Completed", "Grace Lee", "returning", "Bud Vase", 1, "", 1800),
    ("2021-06-15", "4508", "Completed", "Paulo Reyes", "new", "Ceramic Vase", 1, "", 4500),
    ("2021-06-18", "4508", "Refunded", "Paulo Reyes", "returning", "Ceramic Vase", 1, "", -4500),
    ("2021-06-20", "4509", "Processing", "Ada Osei", "new", "Planter Large", 1, "", 4200),
    ("2021-06-24", "4510", "Completed", "Tom Baker", "returning", "Saucer", 3, "", 1050),
]


def woocommerce():
    # 1. Advanced Order Export plugin: cp1252, all quoted, DD/MM/YYYY
    rows = [list(WOO_AOE_HEADER)]
    orders, skipped = [], 0
    for (num, status, date, email, first, last, items, ship, refund, coupon) in WOO_AOE:
        code, disc = coupon if coupon else ("", 0)
        total = sum(q * p for q, _, p in items) - disc + ship
        for n, (q, iname, p) in enumerate(items):
            d = {"Order Number": num, "Order Status": status, "Order Date": date,
                 "Email (Billing)": email, "First Name (Billing)": first, "Last Name (Billing)": last,
                 "Quantity": str(q), "Item Name": iname, "Item Cost": dec(p),
                 "City (Shipping)": "Köln", "Country Code (Shipping)": "DE"}
            if n == 0:
                d.update({"Order Total Amount": dec(total), "Order Refund Amount": dec(refund),
                          "Coupon Code": code, "Order Shipping Amount": dec(ship),
                          "Payment Method Title": "PayPal" if int(num) % 2 else "Kreditkarte (Stripe)",
                          "Order Currency": "EUR"})
            rows.append([d.get(h, "") for h in WOO_AOE_HEADER])
        if status in ("Pending payment", "Cancelled"):
            skipped += len(items)
            continue
        dd, mm, yy = date.split("/")
        orders.append(order(num, email, f"{yy}-{mm}-{dd}", total - refund, len(items), refund))
    save("woocommerce/advanced_order_export.csv", csv_text(rows, quote_all=True, eol="\r\n"), "windows-1252")
    save_json("woocommerce/advanced_order_export.csv.expected.json", expected(
        "woocommerce", orders, encoding="windows-1252", delimiter=",", rows_read=len(rows) - 1,
        skipped={"not paid": skipped}, currency="EUR", date_order="dmy",
        spot=["1201", "1203", "1205", "1206", "1209"],
        notes="Advanced Order Export plugin: cp1252 (Müller, Zoë, Françoise, Weiß, Anaïs, „Bergsee“ "
              "quotes), every field quoted, CRLF; DD/MM/YYYY (14/05/2021 settles dmy); one row per item, "
              "Order Total Amount / Order Refund Amount / Coupon Code only on an order's first row; "
              "'Pending payment' (2 rows) and 'Cancelled' orders skipped; 1203 fully refunded (net 0), "
              "1206 partly refunded."))

    # 2. WebToffee: one row per order, items packed in line_item_N cells
    rows = [list(WOO_WT_HEADER)]
    orders, skipped = [], 0
    for (oid, date, status, cid, email, first, last, items, ship, tax, coupon) in WOO_WT:
        code, disc = coupon if coupon else ("", 0)
        sub = sum(t for *_x, t in items)
        total = sub - disc + ship + tax
        paid = status in ("wc-completed", "wc-processing")
        d = {"order_id": oid, "order_number": oid, "order_date": date, "paid_date": date if paid else "",
             "status": status, "shipping_total": dec(ship), "shipping_tax_total": "0.00",
             "fee_total": "0.00", "tax_total": dec(tax), "cart_discount": dec(disc),
             "discount_total": dec(disc), "order_total": dec(total), "order_subtotal": dec(sub),
             "order_key": f"wc_order_{oid}aBcD", "order_currency": "USD", "payment_method": "stripe",
             "payment_method_title": "Credit Card (Stripe)", "transaction_id": f"ch_wt{oid}" if paid else "",
             "shipping_method": "Flat rate" if ship else "Free shipping", "customer_id": cid,
             "customer_email": email, "billing_first_name": first, "billing_last_name": last,
             "billing_email": email, "billing_phone": "555-0100", "billing_address_1": "1 Elm St",
             "billing_postcode": "05401", "billing_city": "Burlington", "billing_country": "US",
             "customer_note": "", "coupon_items": f"code:{code}|amount:{dec(disc)}" if code else ""}
        for i, (nm, pid, sku, q, t) in enumerate(items, 1):
            d[f"line_item_{i}"] = (f"name:{nm}|product_id:{pid}|sku:{sku}|quantity:{q}|"
                                   f"total:{dec(t)}|sub_total:{dec(t)}|tax:0.00|meta:")
        rows.append([d.get(h, "") for h in WOO_WT_HEADER])
        if not paid:
            skipped += 1
            continue
        orders.append(order(oid, email, date[:10], total, len(items)))
    save("woocommerce/webtoffee_order_export.csv", csv_text(rows), "utf-8")
    save_json("woocommerce/webtoffee_order_export.csv.expected.json", expected(
        "woocommerce", orders, encoding="utf-8", delimiter=",", rows_read=len(rows) - 1,
        skipped={"not paid": skipped}, currency="USD", date_order=None,
        spot=["3102", "3104", "3106", "3110"],
        notes="WebToffee order export: one row per order, items packed in line_item_N cells "
              "(name:…|product_id:…|quantity:…|total:…; names with commas and \"quotes\" so the cell "
              "is CSV-quoted); status with wc- prefix, wc-on-hold and wc-pending skipped; guest "
              "checkouts have customer_id 0 but an email (key = customer_email); ISO local times; "
              "no refunds."))

    # 3. WooCommerce Analytics > Orders download
    rows = [list(WOO_AN_HEADER)]
    orders, by_id, skipped = [], {}, 0
    for (date, num, status, cust, ctype, prods, n, coup, net) in WOO_AN:
        rows.append([date, num, status, cust, ctype, prods, str(n), coup, dec(net), "Direct"])
        if net < 0:
            by_id[num]["refunded"] += -net
            by_id[num]["net_minor"] += net
        elif status == "Failed":
            skipped += 1
        else:
            o = order(num, cust or None, date, net, len(prods.split(", ")))
            orders.append(o)
            by_id[num] = o
    save("woocommerce/wc-orders-report-export.csv", csv_text(rows), "utf-8")
    save_json("woocommerce/wc-orders-report-export.csv.expected.json", expected(
        "woocommerce", orders, encoding="utf-8", delimiter=",", rows_read=len(rows) - 1,
        skipped={"not paid": skipped}, currency=None, date_order=None,
        spot=["4501", "4502", "4505", "4506", "4508"],
        notes="Analytics Orders download: one row per order, Customer is a name only (no email), one "
              "blank (guest); refunds are extra rows with the same Order # and negative Net sales "
              "(partial on 4502, full on 4508 -> net 0) and are not orders; a Failed order skipped; "
              "no currency column. lines = products listed in Product(s)."))


# ---------------------------------------------------------------- amazon

AMZ_SF_HEADER = [
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "buyer-email",
    "buyer-name", "buyer-phone-number", "product-name", "sku", "asin", "item-status", "quantity",
    "currency", "item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price",
    "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
]
AMZ_ALL_HEADER = [h for h in AMZ_SF_HEADER if h not in ("buyer-email", "buyer-name", "buyer-phone-number")]
AMZ_ALL_HEADER.insert(AMZ_ALL_HEADER.index("ship-service-level"), "url")
AMZ_ALL_HEADER += ["purchase-order-number", "price-designation"]

# order id, purchase date, status, buyer email, buyer name, [(product, sku, qty, item-price line total, tax, shipping)]
AMZ_SF = [
    ("112-3345678-1200001", "2021-05-03T18:22:05+00:00", "Shipped", "k3v9q2x7m1p4z8w@marketplace.example.com", "Greta Lind",
     [("Walnut Cutting Board, Large", "CB-WAL-L", 1, 5499, 440, 599)]),
    ("112-3345678-1200002", "2021-05-04T15:10:44+00:00", "Shipped", "b7n2c4x9v1z3m5q@marketplace.example.com", "Aaron Pike",
     [("Maple Spoon Set (3)", "SP-MAP-3", 2, 3800, 0, 0), ("Board Butter 4oz", "BB-4OZ", 1, 1299, 0, 499)]),
    ("112-3345678-1200003", "2021-05-06T16:00:00+00:00", "Cancelled", "h4j6k8l0p2o4i6u@marketplace.example.com", "Will Foster",
     [("Walnut Cutting Board, Large", "CB-WAL-L", 0, None, None, None)]),
    ("112-3345678-1200004", "2021-05-13T17:01:13+00:00", "Shipped", "k3v9q2x7m1p4z8w@marketplace.example.com", "Greta Lind",
     [("Board Butter 4oz", "BB-4OZ", 3, 3897, 312, 0)]),
    ("112-3345678-1200005", "2021-05-15T19:45:30+00:00", "Pending", "r5t7y9u1i3o5p7a@marketplace.example.com", "Mina Sato",
     [("Cherry Serving Tray", "TR-CHR", 1, None, None, None), ("Maple Spoon Set (3)", "SP-MAP-3", 1, None, None, None)]),
    ("112-3345678-1200006", "2021-05-20T14:14:14+00:00", "Shipped", "d2f4g6h8j0k2l4z@marketplace.example.com", "Colm Byrne",
     [("Cherry Serving Tray", "TR-CHR", 1, 7900, 632, 0), ("Board Butter 4oz", "BB-4OZ", 1, 1299, 104, 0),
      ("Gift Wrap Card", "GW-CARD", 1, 0, 0, 0)]),
    ("112-3345678-1200007", "2021-05-27T20:30:00+00:00", "Shipped", "k3v9q2x7m1p4z8w@marketplace.example.com", "Greta Lind",
     [("Maple Spoon Set (3)", "SP-MAP-3", 1, 1900, 152, 499)]),
    ("112-3345678-1200008", "2021-05-29T16:40:12+00:00", "Unshipped", "x1c3v5b7n9m1q3w@marketplace.example.com", "Pat Quinn",
     [("Walnut Cutting Board, Large", "CB-WAL-L", 1, 5499, 0, 599)]),
]

AMZ_ALL = [
    ("113-7788990-3300001", "2021-06-01T15:00:00+00:00", "Shipped", [("Cherry Serving Tray", "TR-CHR", 1, 7900, 632, 0)]),
    ("113-7788990-3300002", "2021-06-02T16:20:00+00:00", "Shipped", [("Board Butter 4oz", "BB-4OZ", 2, 2598, 208, 499),
                                                                     ("Maple Spoon Set (3)", "SP-MAP-3", 1, 1900, 152, 0)]),
    ("113-7788990-3300003", "2021-06-04T18:05:00+00:00", "Cancelled", [("Walnut Cutting Board, Large", "CB-WAL-L", 0, None, None, None)]),
    ("113-7788990-3300004", "2021-06-07T14:44:44+00:00", "Shipped", [("Walnut Cutting Board, Large", "CB-WAL-L", 1, 5499, 0, 0)]),
    ("113-7788990-3300005", "2021-06-09T17:17:17+00:00", "Pending", [("Board Butter 4oz", "BB-4OZ", 1, None, None, None)]),
    ("113-7788990-3300006", "2021-06-12T19:00:01+00:00", "Shipped", [("Maple Spoon Set (3)", "SP-MAP-3", 3, 5700, 456, 0)]),
    ("113-7788990-3300007", "2021-06-15T15:30:00+00:00", "Shipped", [("Gift Wrap Card", "GW-CARD", 1, 350, 0, 0),
                                                                     ("Cherry Serving Tray", "TR-CHR", 1, 7900, 632, 599)]),
]


def amazon_money(v):
    return "" if v is None else dec(v)


def amazon_file(path, header, data, with_buyer):
    rows = [list(header)]
    orders, skipped = [], 0
    for rec in data:
        if with_buyer:
            oid, pdate, status, email, bname, items = rec
        else:
            (oid, pdate, status, items), email, bname = rec, None, None
        for n, (prod, sku, qty, price, tax, ship) in enumerate(items):
            d = {"amazon-order-id": oid, "merchant-order-id": "", "purchase-date": pdate,
                 "last-updated-date": pdate[:11] + "23:00:00+00:00", "order-status": status,
                 "fulfillment-channel": "Merchant" if with_buyer else "Amazon",
                 "sales-channel": "Amazon.com", "order-channel": "", "url": "",
                 "ship-service-level": "Standard", "buyer-email": email or "", "buyer-name": bname or "",
                 "product-name": prod, "sku": sku, "asin": "B08" + sku.replace("-", "")[:7].ljust(7, "X"),
                 "item-status": "Cancelled" if status == "Cancelled" else ("Shipped" if status == "Shipped" else "Unshipped"),
                 "quantity": str(qty), "currency": "USD" if price is not None else "",
                 "item-price": amazon_money(price), "item-tax": "" if not tax else dec(tax),
                 "shipping-price": amazon_money(ship), "shipping-tax": "" if price is None else "0.00",
                 "gift-wrap-price": "", "gift-wrap-tax": "",
                 "item-promotion-discount": "" if price is None else "0.00",
                 "ship-promotion-discount": "" if price is None else "0.00",
                 "ship-city": "SEATTLE", "ship-state": "WA", "ship-postal-code": "98101-1234",
                 "ship-country": "US", "promotion-ids": "", "is-business-order": "false",
                 "purchase-order-number": "", "price-designation": ""}
            rows.append([d.get(h, "") for h in header])
        if status in ("Cancelled", "Pending"):
            skipped += len(items)
            continue
        val = sum((p or 0) + (t or 0) + (s or 0) for _, _, _, p, t, s in items)
        orders.append(order(oid, email, pdate[:10], val, len(items)))
    save(path, csv_text(rows, delimiter="\t"), "utf-8")
    return rows, orders, skipped


def amazon():
    rows, orders, skipped = amazon_file("amazon/seller_fulfilled_orders.txt", AMZ_SF_HEADER, AMZ_SF, True)
    save_json("amazon/seller_fulfilled_orders.txt.expected.json", expected(
        "amazon", orders, encoding="utf-8", delimiter="\t", rows_read=len(rows) - 1,
        skipped={"not paid": skipped}, currency="USD", date_order=None,
        spot=["112-3345678-1200001", "112-3345678-1200002", "112-3345678-1200006", "112-3345678-1200008"],
        notes="Seller-fulfilled order report, tab-separated; one row per item, item-price is already the "
              "line total (quantity 2 -> 38.00); value = item-price + item-tax + shipping-price summed "
              "over the order; blank item-tax means 0; Cancelled (1 row) and Pending (2 rows) orders skipped "
              "with blank money; buyer-email is a marketplace relay address (k3v9… has 3 orders); "
              "Unshipped counts as paid."))
    rows, orders, skipped = amazon_file("amazon/all_orders.txt", AMZ_ALL_HEADER, AMZ_ALL, False)
    save_json("amazon/all_orders.txt.expected.json", expected(
        "amazon", orders, encoding="utf-8", delimiter="\t", rows_read=len(rows) - 1,
        skipped={"not paid": skipped}, currency="USD", date_order=None,
        spot=["113-7788990-3300002", "113-7788990-3300007"],
        notes="All Orders report (FBA): no buyer-email/buyer-name columns, so every order is a guest "
              "order (the importer should warn it is not usable for CLV); multi-item orders summed; "
              "Cancelled and Pending orders skipped."))


# ---------------------------------------------------------------- ebay

EBAY_HEADER = [
    "Sales Record Number", "User Id", "Buyer Fullname", "Buyer Phone Number", "Buyer Email",
    "Buyer Address 1", "Buyer Address 2", "Buyer City", "Buyer State", "Buyer Zip", "Buyer Country",
    "Item Number", "Item Title", "Custom Label", "Quantity", "Sale Price", "Shipping and Handling",
    "US Tax", "Insurance", "Cash on delivery fee", "Total Price", "Payment Method", "Sale Date",
    "Checkout Date", "Paid on Date", "Shipped on Date", "Feedback left", "Feedback received",
    "Notes to yourself", "PayPal Transaction ID", "Shipping Service", "Cash on delivery option",
    "Transaction ID", "Order ID", "Variation Details",
]

# record, user id, full name, email, sale date, shipping, [(item number, title, qty, unit price)]
EBAY_ORDERS = [
    ("1101", "vinylvault_fan", "Reggie Moss", "reggie.moss@example.com", "Jan-18-16", 400,
     [("281912345671", 'Vintage 12" Vinyl LP Blue Train', 1, 2499)]),
    ("1102", "retro.rita", "Rita Coelho", "rita.coelho@example.org", "Jan-22-16", 650,
     [("281912345672", "Cassette Tape Lot (10)", 1, 1800), ("281912345673", "Walkman Belt Kit", 2, 695)]),
    ("1103", "hifi_hank", "Hank Peters", "", "Jan-30-16", 0,
     [("281912345674", "Turntable Stylus AT-3600L", 1, 1495)]),
    ("1104", "studio-sound-llc", "Studio Sound LLC", "buying@studiosound.example.com", "Feb-03-16", 4500,
     [("281912345675", "Reel-to-Reel Deck, serviced", 1, 119500)]),
    ("1105", "vinylvault_fan", "Reggie Moss", "reggie.moss@example.com", "Feb-11-16", 400,
     [("281912345676", 'Record Sleeves 12" (50 pack)', 1, 1299)]),
    ("1106", "djkofi", "Kofi Mensah", "kofi.mensah@example.com", "Feb-14-16", 900,
     [("281912345677", "Slipmat Pair", 1, 1200), ("281912345678", "45 RPM Adapter", 3, 250),
      ("281912345679", "Headshell, black", 1, 2150)]),
    ("1107", "hifi_hank", "Hank Peters", "", "Feb-20-16", 350,
     [("281912345680", "RCA Cable 1m", 2, 599)]),
]


def ebay():
    def line(cells):
        # eBay quotes every cell and does NOT escape quotes inside titles
        return ",".join(f'"{c}"' for c in cells)

    blank = line([""] * len(EBAY_HEADER))
    out = [blank, line(EBAY_HEADER), blank]
    orders, data_rows = [], 0
    for (rec, uid, name, email, date, ship, items) in EBAY_ORDERS:
        total = sum(q * p for _, _, q, p in items) + ship
        base = {"Sales Record Number": rec, "User Id": uid, "Buyer Fullname": name,
                "Buyer Phone Number": "555-0142", "Buyer Email": email,
                "Buyer Address 1": "77 Groove St", "Buyer City": "Austin", "Buyer State": "TX",
                "Buyer Zip": "78701", "Buyer Country": "United States", "Sale Date": date,
                "Checkout Date": date, "Paid on Date": date, "Payment Method": "PayPal",
                "Shipping Service": "USPS First Class", "PayPal Transaction ID": f"9XK{rec}77"}
        summary = dict(base, **{"Shipping and Handling": usd(ship), "US Tax": "$0.00",
                                "Insurance": "$0.00", "Total Price": usd(total),
                                "Quantity": str(sum(q for _, _, q, _ in items)), "Feedback received": ""})
        if len(items) == 1:
            num, title, q, p = items[0]
            summary.update({"Item Number": num, "Item Title": title, "Quantity": str(q),
                            "Sale Price": usd(p), "Transaction ID": f"1{rec}0001", "Custom Label": ""})
            out.append(line([summary.get(h, "") for h in EBAY_HEADER]))
            data_rows += 1
        else:
            out.append(line([summary.get(h, "") for h in EBAY_HEADER]))
            data_rows += 1
            for k, (num, title, q, p) in enumerate(items, 1):
                it = {"Sales Record Number": rec, "User Id": uid, "Buyer Email": email,
                      "Item Number": num, "Item Title": title, "Quantity": str(q), "Sale Price": usd(p),
                      "Sale Date": date, "Transaction ID": f"1{rec}000{k}"}
                out.append(line([it.get(h, "") for h in EBAY_HEADER]))
                data_rows += 1
        lz = {"Jan": "01", "Feb": "02"}
        mon, dd, yy = date.split("-")
        orders.append(order(rec, email or uid, f"20{yy}-{lz[mon]}-{dd}", total, len(items)))
    out += [blank, blank,
            f'"{len(EBAY_ORDERS)} record(s) downloaded,from Jan-15-16 to Feb-29-16"',
            '"Seller ID: shop123"']
    save("ebay/SalesHistory.csv", "\r\n".join(out) + "\r\n", "utf-8")
    wrapper = len(out) - 1 - data_rows
    save_json("ebay/SalesHistory.csv.expected.json", expected(
        "ebay", orders, encoding="utf-8", delimiter=",", rows_read=data_rows, wrapper_rows=wrapper,
        currency="USD", date_order=None,
        spot=["1101", "1102", "1103", "1104", "1106"],
        notes="Selling Manager SalesHistory: an all-empty row before and after the header, two after the "
              "data, then footers '7 record(s) downloaded,…' and 'Seller ID: shop123' (6 wrapper rows); "
              "every cell quoted but quotes inside titles NOT escaped (12\" Vinyl); Jan-18-16 dates; "
              "multi-item orders = summary row (no Item Number, Total Price) + item rows (Total Price "
              "empty); hifi_hank has no Buyer Email (key = User Id); \"$1,240.00\" money."))


# ---------------------------------------------------------------- quickbooks

QB_HEADER = ["", "Date", "Transaction Type", "Num", "Product/Service", "Memo/Description",
             "Qty", "Sales Price", "Amount", "Balance"]

# customer -> [(date, type, num, product, memo, qty, price cents)]
QB_DATA = [
    ("Bright Smile Dental", [
        ("01/15/2021", "Invoice", "1001", "Throw Blanket", "Wool throw - grey", 4, 8500),
        ("01/15/2021", "Invoice", "1001", "Cushion Cover", "Linen cushion cover", 6, 2250),
        ("02/20/2021", "Invoice", "1007", "Table Runner", "Runner 180cm, ochre", 2, 4800),
        ("03/02/2021", "Credit Memo", "1012", "Cushion Cover", "Returned - faded", -2, 2250),
    ]),
    ("Carmen Ortiz", [
        ("01/18/2021", "Sales Receipt", "1002", "Cushion Cover", "Linen cushion cover", 2, 2250),
        ("03/19/2021", "Sales Receipt", "1009", "Wall Hanging", "Custom macrame, 2m", 1, 124000),
        ("03/19/2021", "Sales Receipt", "1009", "Installation", "On-site hanging", 1, 15000),
    ]),
    ("Elm Street Café", [
        ("01/27/2021", "Invoice", "1003", "Table Runner", "Runner 180cm, ochre", 5, 4800),
        ("04/06/2021", "Refund Receipt", "1015", "Table Runner", "Damaged in transit", -1, 3000),
    ]),
    ("Hollis, Grant & Partners", [
        ("02/09/2021", "Invoice", "1005", "Throw Blanket", "Wool throw - navy", 10, 8500),
        ("02/09/2021", "Invoice", "1005", "Cushion Cover", "Linen cushion cover", 20, 2250),
        ("02/09/2021", "Invoice", "1005", "Delivery", "Courier, 2 boxes", 1, 3500),
    ]),
    ("Nadia Rahman", [
        ("03/13/2021", "Invoice", "1011", "Wall Hanging", "Small macrame", 1, 6500),
    ]),
]


def quickbooks():
    def row(*cells):
        cells = list(cells) + [""] * (len(QB_HEADER) - len(cells))
        return cells

    def qbm(c):
        return dec(c, thousands=True)

    rows = [row("Sales by Customer Detail"), row("Hearth & Loom Co."), row("January - June, 2021"), row(),
            list(QB_HEADER)]
    wrapper_before = 4
    wrapper, data_rows = wrapper_before, 0
    orders, grand = [], 0
    for cust, txns in QB_DATA:
        rows.append(row(cust))
        wrapper += 1
        bal, by_num = 0, {}
        for (date, typ, num, prod, memo, qty, price) in txns:
            amt = qty * price
            bal += amt
            rows.append(row("", date, typ, num, prod, memo, str(qty), qbm(price), qbm(amt), qbm(bal)))
            data_rows += 1
            o = by_num.get(num)
            if o is None:
                m, d, y = date.split("/")
                o = by_num[num] = order(num, cust, f"{y}-{m}-{d}", 0, 0,
                                        refund_entry=typ in ("Credit Memo", "Refund Receipt"))
                orders.append(o)
            o["net_minor"] += amt
            o["lines"] += 1
        rows.append(row(f"Total for {cust}", "", "", "", "", "", "", "", "$" + qbm(bal)))
        wrapper += 1
        grand += bal
    rows.append(row("TOTAL", "", "", "", "", "", "", "", "$" + qbm(grand)))
    rows += [row(), row(), row("Accrual Basis Thursday, July 1, 2021 09:15 AM GMT-07:00")]
    wrapper += 4
    save("quickbooks/Sales_by_Customer_Detail.csv", csv_text(rows), "utf-8")
    assert data_rows + wrapper + 1 == len(rows)
    save_json("quickbooks/Sales_by_Customer_Detail.csv.expected.json", expected(
        "quickbooks", orders, encoding="utf-8", delimiter=",", rows_read=data_rows, wrapper_rows=wrapper,
        currency=None, date_order="mdy",
        spot=["1001", "1012", "1009", "1015", "1005"],
        notes="QuickBooks Online report: 3 title rows + blank row before the header (whose first cell is "
              "empty); customer group rows hold only the name (one contains a comma, one an é); "
              "'Total for …' rows with \"$1,435.00\"-style sums, a TOTAL row, blank rows and an "
              "'Accrual Basis …' footer are wrappers (18 in all); rows of one Num form one order; Credit "
              "Memo 1012 and Refund Receipt 1015 are refund entries with negative net; MM/DD/YYYY."))


# ---------------------------------------------------------------- online retail

OR_FEE_CODES = ("POST", "DOT", "M", "C2", "BANK CHARGES", "AMAZONFEE", "CRUK")

# invoice, date, customer (as written), country, [(stock code, description, qty, unit price pence)]
OR1 = [
    ("536365", "12/1/10 8:26", "17850.0", "United Kingdom", [
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, 255),
        ("71053", "WHITE METAL LANTERN", 6, 339),
        ("84406B", "CREAM CUPID HEARTS COAT HANGER", 8, 275)]),
    ("536366", "12/1/10 8:28", "17850.0", "United Kingdom", [
        ("22633", "HAND WARMER UNION JACK", 6, 185),
        ("22632", "HAND WARMER RED POLKA DOT", 6, 185)]),
    ("536370", "12/1/10 8:45", "12583.0", "France", [
        ("22728", "ALARM CLOCK BAKELIKE PINK", 24, 375),
        ("21731", "RED TOADSTOOL LED NIGHT LIGHT", 24, 165),
        ("POST", "POSTAGE", 3, 1800)]),
    ("536380", "12/1/10 9:41", "", "United Kingdom", [
        ("22961", "JAM MAKING SET PRINTED", 24, 145),
        ("M", "Manual", 1, 85)]),
    ("536381", "12/1/10 9:41", "15311.0", "United Kingdom", [
        ("22139", "RETROSPOT TEA SET CERAMIC 11 PC ", 3, 495),
        ("35004C", "SET OF 3 COLOURED  FLYING DUCKS", 2, 465)]),
    ("C536383", "12/1/10 9:49", "15311.0", "United Kingdom", [
        ("35004C", "SET OF 3 COLOURED  FLYING DUCKS", -1, 465)]),
    ("536544", "12/1/10 14:32", "", "United Kingdom", [
        ("21773", "DECORATIVE ROSE BATHROOM BOTTLE", 1, 251),
        ("22846", "SET/3 CRÈME BRÛLÉE RAMEKINS", 2, 425),
        ("22847", "PÂTISSERIE BOX « PARIS »", 3, 165),
        ("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 1, 851)]),
    ("537001", "12/3/10 11:05", "12748.0", "United Kingdom", [
        ("22086", "PAPER CHAIN KIT 50'S CHRISTMAS ", 12, 295),
        ("BANK CHARGES", "Bank Charges", 1, 1500)]),
    ("537600", "12/7/10 12:41", "", "United Kingdom", [
        ("AMAZONFEE", "AMAZON FEE", 1, 100)]),
    ("538000", "12/14/10 10:03", "17850.0", "United Kingdom", [
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 12, 255),
        ("71053", "WHITE METAL LANTERN", 4, 339)]),
    ("C538100", "12/14/10 15:20", "17850.0", "United Kingdom", [
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", -2, 255),
        ("71053", "WHITE METAL LANTERN", -1, 339)]),
    ("540001", "1/17/11 9:12", "12748.0", "United Kingdom", [
        ("23084", "RABBIT NIGHT LIGHT", 48, 179),
        ("22960", "JAM MAKING SET WITH JARS", 6, 425)]),
]

OR2 = [
    ("489434", "2009-12-01 07:45:00", "13085", "United Kingdom", [
        ("85048", "15CM CHRISTMAS GLASS BALL 20 LIGHTS", 12, 695),
        ("79323P", "PINK CHERRY LIGHTS", 12, 675),
        ("79323W", "WHITE CHERRY LIGHTS", 12, 675)]),
    ("489435", "2009-12-01 07:46:00", "13085", "United Kingdom", [
        ("22350", "CAT BOWL ", 12, 255),
        ("22349", "DOG BOWL , CHASING BALL DESIGN", 12, 375)]),
    ("489436", "2009-12-01 09:06:00", "13078", "United Kingdom", [
        ("48173C", "DOOR MAT BLACK FLOCK ", 10, 595),
        ("21755", "LOVE BUILDING BLOCK WORD", 18, 545)]),
    ("489437", "2009-12-01 09:08:00", "", "United Kingdom", [
        ("22143", "CHRISTMAS CRAFT HEART DECORATIONS", 6, 210),
        ("DOT", "DOTCOM POSTAGE", 1, 4095)]),
    ("C489449", "2009-12-01 10:33:00", "16321", "Australia", [
        ("22087", "PAPER BUNTING WHITE LACE", -12, 295),
        ("85206A", "CREAM FELT EASTER EGG BASKET", -6, 165)]),
    ("489450", "2009-12-01 10:40:00", "16321", "Australia", [
        ("21871", "SAVE THE PLANET MUG", 24, 125)]),
    ("489460", "2009-12-01 10:46:00", "12682", "France", [
        ("22326", "ROUND SNACK BOXES SET OF4 WOODLAND ", 24, 295),
        ("POST", "POSTAGE", 1, 1800)]),
    ("489520", "2009-12-01 11:41:00", "12682", "France", [
        ("22554", "PLASTERS IN TIN WOODLAND ANIMALS", 12, 165),
        ("C2", "CARRIAGE", 1, 5000)]),
    ("489521", "2009-12-15 12:02:00", "13078", "United Kingdom", [
        ("21523", "DOORMAT FANCY FONT HOME SWEET HOME", 2, 795),
        ("M", "Manual", 1, 250)]),
]


def pandas_float(pence):
    v = pence / 100
    return repr(float(v))


def online_retail_orders(data):
    orders, skipped, nrows = [], 0, 0
    for inv, date, cust, country, lines in data:
        nrows += len(lines)
        kept = [(c, q, p) for c, _, q, p in lines if c not in OR_FEE_CODES]
        skipped += len(lines) - len(kept)
        if not kept:
            continue
        key = cust[:-2] if cust.endswith(".0") else cust
        if "/" in date:
            m, d, y = date.split()[0].split("/")
            iso = f"20{y}-{int(m):02d}-{int(d):02d}"
        else:
            iso = date[:10]
        amt = sum(abs(q * p) for _, q, p in kept)
        if inv.startswith("C"):
            orders.append(order(inv, key or None, iso, -amt, len(kept), refund_entry=True))
        else:
            orders.append(order(inv, key or None, iso, amt, len(kept)))
    return orders, skipped, nrows


def online_retail():
    rows = [["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]]
    for inv, date, cust, country, lines in OR1:
        for code, desc, q, p in lines:
            rows.append([inv, code, desc, str(q), date, pandas_float(p), cust, country])
    save("online-retail/Online Retail.csv", csv_text(rows, eol="\r\n"), "windows-1252")
    orders, skipped, nrows = online_retail_orders(OR1)
    save_json("online-retail/Online Retail.csv.expected.json", expected(
        "online-retail", orders, encoding="windows-1252", delimiter=",", rows_read=nrows,
        skipped={"postage or fee line": skipped}, currency=None, date_order="mdy",
        spot=["536365", "536370", "536380", "C536383", "C538100", "540001"],
        notes="UCI Online Retail copy saved by pandas: cp1252 (CRÈME BRÛLÉE, PÂTISSERIE « »), CRLF, "
              "CustomerID like 17850.0 (key 17850), blank for guests, UnitPrice like 18.0; "
              "M/D/YY H:MM dates (12/14/10 settles mdy); POST, M, BANK CHARGES and AMAZONFEE rows "
              "skipped (invoice 537600 holds only a fee line, so it is no order); C-invoices are "
              "refund entries with negative net; line = Quantity x UnitPrice. No currency column (GBP data set)."))

    rows = [["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]]
    for inv, date, cust, country, lines in OR2:
        for code, desc, q, p in lines:
            rows.append([inv, code, desc, str(q), date, dec(p), cust, country])
    save("online-retail/online_retail_II.csv", csv_text(rows), "utf-8")
    orders, skipped, nrows = online_retail_orders(OR2)
    save_json("online-retail/online_retail_II.csv.expected.json", expected(
        "online-retail", orders, encoding="utf-8", delimiter=",", rows_read=nrows,
        skipped={"postage or fee line": skipped}, currency=None, date_order=None,
        spot=["489434", "489437", "C489449", "489520"],
        notes="Online Retail II header (Invoice, Price, Customer ID); ISO dates; a description with a "
              "comma (quoted); DOT, POST, C2 (a stock code, not a cancellation) and M rows skipped; "
              "C489449 is a refund entry; 489437 is a guest invoice."))


# ---------------------------------------------------------------- cdnow

# (customer id, date, cds, cents)
CDNOW_SAMPLE = [
    (4, 1, "19970101", 2, 2933), (4, 1, "19970118", 2, 2973), (4, 1, "19970802", 1, 1496),
    (4, 1, "19971212", 2, 2640), (18, 2, "19970101", 1, 1497), (21, 3, "19970101", 2, 3388),
    (21, 3, "19970113", 1, 1199), (50, 4, "19970101", 1, 1377), (60, 5, "19970101", 1, 1497),
    (60, 5, "19970324", 1, 0), (71, 6, "19970101", 5, 7411), (89, 7, "19970101", 10, 18521),
    (89, 7, "19970201", 2, 2499), (89, 7, "19971030", 3, 4477), (111, 8, "19970101", 1, 1299),
]
CDNOW_MASTER = [
    (1, "19970101", 1, 1177), (2, "19970112", 1, 1200), (2, "19970112", 5, 7700),
    (3, "19970102", 2, 2076), (3, "19970330", 2, 2076), (3, "19970402", 2, 1974),
    (3, "19971115", 5, 5747), (3, "19971125", 4, 2037), (3, "19980528", 1, 1699),
    (4, "19970101", 2, 2950), (5, "19970101", 1, 0), (6, "19970101", 1, 2099),
    (7, "19970101", 2, 2874), (7, "19971011", 7, 26456),
]


def cdnow():
    lines = [f" {cid:05d} {sid:04d} {d} {cds:>2} {c / 100:>7.2f}"
             for cid, sid, d, cds, c in CDNOW_SAMPLE]
    save("cdnow/CDNOW_sample_mini.txt", "\r\n".join(lines) + "\r\n", "utf-8")
    orders = [order(None, f"{cid:05d}", f"{d[:4]}-{d[4:6]}-{d[6:]}", c, 1) for cid, sid, d, cds, c in CDNOW_SAMPLE]
    exp = expected("cdnow", orders, encoding="utf-8", delimiter="whitespace", rows_read=len(lines),
                   currency="USD", date_order="ymd",
                   notes="CDNOW sample shape: no header, 5 space-aligned columns (id, sample id, "
                         "YYYYMMDD, cds, dollars), CRLF; one purchase per row; 00060 has a 0.00 row "
                         "(kept, value 0). Key = first column as written (00004). No order ids.")
    exp["spot_checks"] = spot_by(orders, [("00004", "1997-01-01"), ("00060", "1997-03-24"), ("00089", "1997-01-01")])
    save_json("cdnow/CDNOW_sample_mini.txt.expected.json", exp)

    lines = []
    for n, (cid, d, cds, c) in enumerate(CDNOW_MASTER):
        sep = "\t" if n == 6 else " "
        lines.append(f"{cid:>5} {d}{sep}{cds:>2} {c / 100:>7.2f}")
    save("cdnow/CDNOW_master_mini.txt", "\r\n".join(lines) + "\r\n", "utf-8")
    orders = [order(None, str(cid), f"{d[:4]}-{d[4:6]}-{d[6:]}", c, 1) for cid, d, cds, c in CDNOW_MASTER]
    exp = expected("cdnow", orders, encoding="utf-8", delimiter="whitespace", rows_read=len(lines),
                   currency="USD", date_order="ymd",
                   notes="CDNOW master shape: no header, 4 columns (id, YYYYMMDD, cds, dollars); row 7 "
                         "has a stray TAB instead of spaces between date and cds; customer 5 has a 0.00 "
                         "row (kept, value 0); customer 2 has two purchases on the same day (two orders).")
    exp["spot_checks"] = spot_by(orders, [("3", "1997-11-15"), ("5", "1997-01-01"), ("7", "1997-10-11")])
    save_json("cdnow/CDNOW_master_mini.txt.expected.json", exp)


# ---------------------------------------------------------------- generic

# invoice, DD.MM.YYYY, client, email, amount as written, cents
GENERIC = [
    ("RE-2025-001", "03.01.2025", "Bäckerei Krume", "info@krume.example.com", "116,99 €", 11699),
    ("RE-2025-002", "07.01.2025", "Lena Hoffmann", "lena.hoffmann@example.com", "35,82", 3582),
    ("RE-2025-003", "13.01.2025", "Bäckerei Krume", "info@krume.example.com", "1.234,56", 123456),
    ("RE-2025-004", "21.01.2025", "", "", "17", 1700),
    ("RE-2025-005", "04.02.2025", "Jan de Vries", "jan.devries@example.org", "4,25", 425),
    ("RE-2025-006", "15.02.2025", "Lena Hoffmann", "lena.hoffmann@example.com", "89,90 €", 8990),
    ("RE-2025-007", "28.02.2025", "Café Sonne", "", "240,00 €", 24000),
    ("RE-2025-008", "06.03.2025", "Bäckerei Krume", "info@krume.example.com", "2.050,00 €", 205000),
    ("RE-2025-009", "11.03.2025", "Marta Nowak", "marta.nowak@example.com", "58,5", 5850),
    ("RE-2025-010", "31.03.2025", "Jan de Vries", "jan.devries@example.org", "12,00 €", 1200),
    ("RE-2025-011", "02.04.2025", "Café Sonne", "", "180,00 €", 18000),
    ("RE-2025-012", "14.04.2025", "Lena Hoffmann", "lena.hoffmann@example.com", "0,99", 99),
]

# invoice, date as written, email, amount
AMBIG = [
    ("INV-101", "01/02/2025", "amy.chen@example.com", "45.00", 4500),
    ("INV-102", "02/03/2025", "ben.ortiz@example.org", "120.50", 12050),
    ("INV-103", "03/03/2025", "amy.chen@example.com", "19.99", 1999),
    ("INV-104", "04/05/2025", "", "8.00", 800),
    ("INV-105", "05/05/2025", "cara.lin@example.com", "77.25", 7725),
    ("INV-106", "06/07/2025", "ben.ortiz@example.org", "300.00", 30000),
    ("INV-107", "08/09/2025", "amy.chen@example.com", "12.00", 1200),
    ("INV-108", "10/11/2025", "dev.patel@example.com", "64.40", 6440),
    ("INV-109", "11/12/2025", "cara.lin@example.com", "15.00", 1500),
    ("INV-110", "12/12/2025", "dev.patel@example.com", "33.30", 3330),
]


def generic():
    rows = [["Invoice", "Date", "Client", "Client email", "Amount", "Note"]]
    orders = []
    for inv, date, client, email, amt, cents in GENERIC:
        note = "Lieferung \"Express\"; bitte klingeln" if inv.endswith("008") else ""
        rows.append([inv, date, client, email, amt, note])
        dd, mm, yy = date.split(".")
        orders.append(order(inv, email or client or None, f"{yy}-{mm}-{dd}", cents, 0))
    save("generic/sales_export.csv", csv_text(rows, delimiter=";", eol="\r\n"), "utf-8")
    save_json("generic/sales_export.csv.expected.json", expected(
        "generic", orders, encoding="utf-8", delimiter=";", rows_read=len(rows) - 1,
        currency="EUR", date_order="dmy", decimal=",",
        spot=["RE-2025-001", "RE-2025-003", "RE-2025-004", "RE-2025-007", "RE-2025-009"],
        notes="Owner's spreadsheet saved by a German Excel: semicolon-delimited, CRLF, DD.MM.YYYY (13.01 "
              "settles dmy), decimal comma with '.' thousands (1.234,56, 2.050,00 €), € suffix on some "
              "cells only, Excel-trimmed 17 and 58,5; Café Sonne has no email (key = Client name); "
              "RE-2025-004 has neither (guest); a quoted note containing ';'. No product column: lines = 0."))

    rows = [["Invoice", "Date", "Email", "Amount"]] + [[i, d, e, a] for i, d, e, a, _ in AMBIG]
    save("generic/ambiguous_dates.csv", csv_text(rows), "utf-8")
    orders = []
    for inv, d, e, a, cents in AMBIG:
        x, y, yyyy = d.split("/")
        orders.append(order(inv, e or None, f"{yyyy}-{y}-{x}", cents, 0))   # dmy reading
    exp = expected("generic", orders, encoding="utf-8", delimiter=",", rows_read=len(AMBIG),
                   currency=None, date_order=None, spot=["INV-101", "INV-104"],
                   notes="Every day and month value is <= 12, so the day/month order cannot be decided "
                         "from the data: the importer must ask. Spot-check dates are given under the "
                         "dmy reading; if_mdy gives the other.")
    def reading(dmy):
        dates = []
        for _, d, *_r in AMBIG:
            x, y, yyyy = d.split("/")
            dates.append(f"{yyyy}-{y}-{x}" if dmy else f"{yyyy}-{x}-{y}")
        return {"net_total_minor": sum(c for *_r, c in AMBIG), "first_local_date": min(dates),
                "last_local_date": max(dates)}
    exp["ambiguous_dates"] = True
    exp["if_dmy"] = reading(True)
    exp["if_mdy"] = reading(False)
    save_json("generic/ambiguous_dates.csv.expected.json", exp)


# ---------------------------------------------------------------- xlsx

# order (number cell), date, has time, email, amount (float, as Excel stores it), cents
XLSX_ROWS = [
    (1001, (2025, 1, 6, 0, 0), "kim.berg@example.com", 17, 1700),
    (1002, (2025, 1, 14, 0, 0), "lou.grant@example.org", 4.25, 425),
    (1003, (2025, 1, 20, 18, 45), "kim.berg@example.com", 1240, 124000),
    (1004, (2025, 2, 2, 0, 0), "", 19.99, 1999),
    (1005, (2025, 2, 13, 0, 0), "nia.obi@example.com", 33.3, 3330),
    (1006, (2025, 2, 28, 0, 0), "lou.grant@example.org", 1.15, 115),
    (1007, (2025, 3, 9, 0, 0), "kim.berg@example.com", 149.95, 14995),
    (1008, (2025, 3, 31, 23, 30), "omar.said@example.com", 1234.56, 123456),
    (1009, (2025, 4, 1, 0, 0), "nia.obi@example.com", 72.5, 7250),
    (1010, (2025, 4, 15, 0, 0), "zed.kowal@example.com", 8, 800),
]


def fixed_xlsx_bytes(wb):
    """The workbook's bytes with fixed zip entry timestamps, so the bytes do not change
    between runs."""
    import zipfile
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(2025, 5, 1, 12, 0, 0))
            fixed_info.compress_type = zipfile.ZIP_DEFLATED
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' with the save time
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-05-01T12:00:00Z", data)
            zout.writestr(fixed_info, data)
    return out.getvalue()


def xlsx_cover_sheet():
    """A workbook whose first sheet is a note and whose orders start on row 3 of the
    second sheet; row 7 has an amount in words. Checked by tests/import_messy.rs (no
    expected JSON): the orders sheet is found and the bad row is named as row 7."""
    import datetime
    import openpyxl
    wb = openpyxl.Workbook()
    note = wb.active
    note.title = "Read me"
    note.append(["Orders exported from the till, spring 2025"])
    note.append(["Amounts include VAT"])
    ws = wb.create_sheet("Orders 2025")
    ws.cell(3, 1, "Invoice")
    ws.cell(3, 2, "Date")
    ws.cell(3, 3, "Email")
    ws.cell(3, 4, "Total")
    rows = [
        ("S-1", datetime.datetime(2025, 3, 3), "ann@example.org", 12.5),
        ("S-2", datetime.datetime(2025, 3, 4), "bo@example.org", 30),
        ("S-3", datetime.datetime(2025, 3, 9), "ann@example.org", 7.25),
        ("S-4", datetime.datetime(2025, 3, 12), "cy@example.org", "twelve"),
    ]
    for i, (num, day, email, total) in enumerate(rows):
        for j, value in enumerate((num, day, email, total)):
            ws.cell(4 + i, 1 + j, value)
        ws.cell(4 + i, 2).number_format = "dd/mm/yyyy"
    fixed = datetime.datetime(2025, 5, 1, 12, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    (ROOT / "xlsx/cover_sheet.xlsx").write_bytes(fixed_xlsx_bytes(wb))


def xlsx():
    try:
        import openpyxl
        from openpyxl.styles import Font
    except ImportError:
        print("  openpyxl not installed: xlsx fixture left as it is", file=sys.stderr)
        return
    import datetime
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Order", "Date", "Email", "Amount"])
    for c in ws[1]:
        c.font = Font(bold=True)
    orders = []
    for num, (y, m, d, hh, mm), email, amt, cents in XLSX_ROWS:
        ws.append([num, datetime.datetime(y, m, d, hh, mm), email or None, amt])
        r = ws.max_row
        ws.cell(r, 2).number_format = "dd/mm/yyyy hh:mm" if (hh or mm) else "dd/mm/yyyy"
        ws.cell(r, 4).number_format = "#,##0.00"
        orders.append(order(str(num), email or None, f"{y}-{m:02d}-{d:02d}", cents, 0))
    ws.column_dimensions["C"].width = 26
    fixed = datetime.datetime(2025, 5, 1, 12, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    (ROOT / "xlsx").mkdir(exist_ok=True)
    (ROOT / "xlsx/orders.xlsx").write_bytes(fixed_xlsx_bytes(wb))
    save_json("xlsx/orders.xlsx.expected.json", expected(
        "generic", orders, encoding=None, delimiter="xlsx", rows_read=len(XLSX_ROWS),
        currency=None, date_order=None,
        spot=["1001", "1003", "1004", "1006", "1008"],
        notes="One sheet 'Orders'; Order ids are NUMBER cells (1001 must become \"1001\", not \"1001.0\"); "
              "dates are real Excel date cells (serials with a dd/mm/yyyy format; 1003 and 1008 carry a "
              "time, 1008 at 23:30 keeps its date); Amount cells are numbers incl. 17 and 4.25; 19.99, 33.3, "
              "1.15 and 149.95 times 100 fall just below the whole cent in f64 (round, do not truncate); "
              "strings are inline (openpyxl), not shared; one blank email (guest). "
              "encoding is null: not applicable to xlsx."))
    xlsx_cover_sheet()


# ---------------------------------------------------------------- bad

def bad():
    save("bad/empty.csv", "")
    save_json("bad/empty.csv.expected.json", {"error_contains": "is empty"})
    save("bad/header_only.csv", ",".join(SHOPIFY_HEADER) + "\n")
    save_json("bad/header_only.csv.expected.json", {"error_contains": "no data rows"})
    (ROOT / "bad/garbage.bin").write_bytes(random.Random(20250501).randbytes(2048))
    save_json("bad/garbage.bin.expected.json", {"error_contains": "not a table"})
    rows = shopify_rows(SHOPIFY_ORDERS[:4], SHOPIFY_HEADER,
                        drop=("Created at", "Paid at", "Fulfilled at", "Cancelled at"))
    save("bad/missing_column.csv", csv_text(rows))
    save_json("bad/missing_column.csv.expected.json", {"error_contains": "no column for the order date"})

    data = [
        ("A-17", "2025-03-14", "12,50", "mo.reyes@example.com", 1250),
        ("A-18", "2025-03-14", "1.234,56", "lia.moss@example.org", 123456),
        ("A-19", "2025-03-15", "7,00", "mo.reyes@example.com", 700),
        ("A-20", "2025-03-17", "48,90", "", 4890),
        ("A-21", "2025-03-18", "99,99", "pia.sund@example.com", 9999),
        ("A-22", "2025-03-20", "3,10", "lia.moss@example.org", 310),
        ("A-23", "2025-03-21", "250,00", "mo.reyes@example.com", 25000),
        ("A-24", "2025-03-24", "15,75", "ugo.ferri@example.com", 1575),
    ]
    rows = [[i, d, a, e] for i, d, a, e, _ in data]
    save("bad/wrong_delimiter.csv", 'Invoice;Date;"Amount, EUR";Email\n' + csv_text(rows, delimiter=";"))
    orders = [order(i, e or None, d, c, 0) for i, d, a, e, c in data]
    save_json("bad/wrong_delimiter.csv.expected.json", expected(
        "generic", orders, encoding="utf-8", delimiter=";", rows_read=len(data),
        currency="EUR", date_order=None, decimal=",", spot=["A-18", "A-20"],
        notes="NOT an error: semicolon-delimited, but the header has a quoted comma (\"Amount, EUR\") "
              "and every amount has a decimal comma, so counting commas suggests the wrong delimiter. "
              "Currency from the 'Amount, EUR' header."))


PRESETS = {"shopify": shopify, "square": square, "stripe": stripe, "paypal": paypal, "etsy": etsy, "woocommerce": woocommerce, "amazon": amazon, "ebay": ebay, "quickbooks": quickbooks, "online-retail": online_retail, "cdnow": cdnow, "generic": generic, "xlsx": xlsx, "bad": bad}

if __name__ == "__main__":
    names = sys.argv[1:] or list(PRESETS)
    for n in names:
        PRESETS[n]()
        print("wrote", n)
