"""Writes scikit-learn's 8x8 digits as PNG files, one folder per class, for `kiln train --images`.

Usage: python bench/export_images.py OUT_DIR
PNGs are written with the standard library alone (8-bit gray; the 0-16 values scaled to 0-255).
"""

import struct
import sys
import zlib
from pathlib import Path

from sklearn.datasets import load_digits


def png(path: Path, pixels, width: int, height: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(pixels[y * width:(y + 1) * width]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def main() -> None:
    out = Path(sys.argv[1])
    digits = load_digits()
    for i, (image, label) in enumerate(zip(digits.images, digits.target)):
        folder = out / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        pixels = [min(255, int(round(v * 255 / 16))) for v in image.flatten()]
        png(folder / f"{i:04d}.png", pixels, 8, 8)
    print(f"{len(digits.target)} images in {out}")


if __name__ == "__main__":
    main()
