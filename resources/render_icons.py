#!/usr/bin/env python3
"""Render resources/icons/mlad-workbench.svg to the hicolor PNG sizes with Qt Svg.

The renderer is the project's own mlad-svg2png (Qt Svg, the same engine QIcon uses). It paints
on an opaque white canvas, so each size is rendered twice, once as is and once over a black
square, and the alpha channel is recovered from the difference of the two (difference matting:
white = c*a + 255*(1-a), black = c*a, so a = 1 - (white - black)/255 and c = black/a).
Standard library only.

Usage: python3 resources/render_icons.py [--svg2png PATH]
       (PATH defaults to build/app/mlad-svg2png; QT_QPA_PLATFORM=offscreen is set for it)
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SIZES = (16, 24, 32, 48, 64, 128, 256)
HERE = os.path.dirname(os.path.abspath(__file__))
ICONS = os.path.join(HERE, "icons")
NAME = "mlad-workbench"


def read_png(path):
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG into (width, height, rows of RGBA)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f"{path}: unsupported PNG (depth {depth}, type {ctype})")
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        prev = line
        if bpp == 3:
            rgba = bytearray()
            for x in range(width):
                rgba += line[3 * x:3 * x + 3] + b"\xff"
            line = rgba
        rows.append(bytes(line))
    return width, height, rows


def write_png(path, width, height, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def matte(on_white, on_black):
    """Recover straight RGBA from two opaque renders over white and over black."""
    w, h, white = on_white
    _, _, black = on_black
    rows = []
    for y in range(h):
        out = bytearray()
        for x in range(w):
            wp = white[y][4 * x:4 * x + 3]
            bp = black[y][4 * x:4 * x + 3]
            alpha = 255 - round(sum(wp[k] - bp[k] for k in range(3)) / 3)
            alpha = max(0, min(255, alpha))
            if alpha == 0:
                out += b"\x00\x00\x00\x00"
            else:
                out += bytes(min(255, round(bp[k] * 255 / alpha)) for k in range(3))
                out.append(alpha)
        rows.append(bytes(out))
    return w, h, rows


def render(tool, svg_text, size, tmp, tag):
    svg = os.path.join(tmp, f"{tag}-{size}.svg")
    with open(svg, "w") as f:
        f.write(svg_text)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([tool, "--width", str(size), svg], check=True, env=env)
    return read_png(svg[:-4] + ".png")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--svg2png", default=os.path.join(HERE, "..", "build", "app", "mlad-svg2png"))
    args = ap.parse_args()
    src = os.path.join(ICONS, NAME + ".svg")
    with open(src) as f:
        svg = f.read()
    # The same drawing over an opaque black square: inserted right after the root <svg ...>.
    m = re.search(r"<svg\b[^>]*>", svg)
    on_black = svg[:m.end()] + '<rect width="256" height="256" fill="#000000"/>' + svg[m.end():]
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            rgba = matte(render(args.svg2png, svg, size, tmp, "white"),
                         render(args.svg2png, on_black, size, tmp, "black"))
            if rgba[0] != size or rgba[1] != size:
                sys.exit(f"render_icons: {size}px came out {rgba[0]}x{rgba[1]}")
            out_dir = os.path.join(ICONS, "hicolor", f"{size}x{size}", "apps")
            os.makedirs(out_dir, exist_ok=True)
            write_png(os.path.join(out_dir, NAME + ".png"), *rgba)
            print(f"{size}x{size}/apps/{NAME}.png")
    scalable = os.path.join(ICONS, "hicolor", "scalable", "apps")
    os.makedirs(scalable, exist_ok=True)
    shutil.copyfile(src, os.path.join(scalable, NAME + ".svg"))
    print(f"scalable/apps/{NAME}.svg")


if __name__ == "__main__":
    main()
