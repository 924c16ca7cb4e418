#!/usr/bin/env python3
"""Draws assets/icon.png (256x256): a rounded teal tile with three rising bars and a
gold coin - "customer value growing". Pure standard library (zlib + struct), 4x
supersampled for smooth edges. Run from the repository root: python3 assets/make_icon.py
"""
import struct
import zlib

SIZE = 256
SS = 4  # supersampling factor
BIG = SIZE * SS

TEAL_TOP = (31, 111, 139)
TEAL_BOTTOM = (18, 70, 96)
WHITE = (250, 250, 247)
GOLD = (242, 184, 56)


def inside_rounded_rect(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def color_at(x, y):
    """Colour (r, g, b, a) of the supersampled pixel centre (x, y) in 0..SIZE units."""
    if not inside_rounded_rect(x, y, 8, 8, 248, 248, 52):
        return (0, 0, 0, 0)
    t = (y - 8) / 240
    base = tuple(round(a + (b - a) * t) for a, b in zip(TEAL_TOP, TEAL_BOTTOM))
    # Three bars rising left to right.
    for i, height in enumerate((60, 95, 130)):
        x0 = 52 + i * 50
        if inside_rounded_rect(x, y, x0, 200 - height, x0 + 36, 200, 6):
            return WHITE + (255,)
    # Baseline.
    if 40 <= x <= 216 and 206 <= y <= 214:
        return WHITE + (255,)
    # Gold coin above and right of the tallest bar.
    if (x - 198) ** 2 + (y - 44) ** 2 <= 24 ** 2:
        if (x - 198) ** 2 + (y - 44) ** 2 >= 16 ** 2 or abs(x - 198) <= 4:
            return GOLD + (255,)
        return (214, 150, 30, 255)
    return base + (255,)


def main():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # PNG filter type 0
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    r, g, b, a = color_at(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = SS * SS
            alpha = acc[3] / n
            if acc[3]:
                row += bytes((round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(alpha)))
            else:
                row += bytes((0, 0, 0, 0))
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    with open("assets/icon.png", "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
