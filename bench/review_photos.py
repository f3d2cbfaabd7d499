"""What a review photo costs to take in: decode, turn upright, re-encode at 1600 px and 400 px, for
the sizes phones send (12 MP JPEG and HEIC), and what refusing a decompression bomb costs.

``python -m bench.review_photos`` prints the median of ``--runs`` runs of each, in milliseconds."""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import time

from PIL import Image

from app.reviews import photos


def _photo(fmt: str, size: tuple[int, int]) -> bytes:
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt, quality=90)
    return out.getvalue()


def _bomb() -> bytes:
    data = bytearray(_photo("JPEG", (16, 16)))
    at = data.index(b"\xff\xc0") + 5
    data[at : at + 4] = struct.pack(">HH", 65000, 65000)
    return bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = {
        "12 MP JPEG": _photo("JPEG", (4000, 3000)),
        "12 MP HEIC": _photo("HEIF", (4000, 3000)),
        "JPEG bomb (65000 x 65000 claimed)": _bomb(),
    }
    for name, data in cases.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            try:
                photos.process(data, max_bytes=15 * 1024 * 1024, max_pixels=40_000_000)
            except photos.PhotoRefused:
                pass
            times.append((time.perf_counter() - start) * 1000)
        sys.stdout.write(f"{name} ({len(data) // 1024} KB): {statistics.median(times):.1f} ms\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
