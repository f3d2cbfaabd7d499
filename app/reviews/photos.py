"""Review photos: decoded, checked and re-encoded by Pillow, kept in our own folder by a random name.

Only JPEG, PNG, WebP and HEIC/HEIF are opened (Pillow is told which decoders it may use, so an SVG,
a PDF or a file that merely claims an image's name is refused without being parsed). The pixel size
is read from the header and checked before anything is decoded, so a small file that would expand to
gigabytes (a "JPEG bomb") is refused unread. What is kept is a new JPEG made from the pixels alone,
turned upright by its EXIF orientation first: no EXIF, GPS position, comment, ICC profile or trailing
bytes of the upload survive, which also neutralises a polyglot (an image that is also HTML or a zip).
The customer's file name is never used: the file is ``<folder>/<store id>/<random>.jpg``.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MAX_PHOTOS = 5
FULL_SIDE = 1600
THUMB_SIDE = 400
NAME = re.compile(r"^[A-Za-z0-9_-]{20,40}$")


class PhotoRefused(ValueError):
    """The upload is not a photo we keep; the message is a sentence for the customer (English; the
    page words it in their language by ``reason``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # too_large | too_many_pixels | not_a_photo | too_many


@dataclass(frozen=True)
class Processed:
    full: bytes
    thumbnail: bytes
    width: int
    height: int


def process(data: bytes, *, max_bytes: int, max_pixels: int) -> Processed:
    """The upload re-encoded, or PhotoRefused saying why."""
    if len(data) > max_bytes:
        raise PhotoRefused("too_large", f"the photo is larger than {max_bytes // (1024 * 1024)} MB")
    if not data:
        raise PhotoRefused("not_a_photo", "the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise PhotoRefused("too_many_pixels", "the photo has too many pixels")
            if image.format == "JPEG":  # libjpeg decodes at 1/2, 1/4 or 1/8 scale: no more than is kept
                longest = max(width, height)
                image.draft("RGB", (FULL_SIDE * width // longest, FULL_SIDE * height // longest))
            image.load()
            image.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)
            image = ImageOps.exif_transpose(image)
            clean = _pixels_only(image)
    except PhotoRefused:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        MemoryError,
    ) as exc:
        raise PhotoRefused("not_a_photo", "the file is not a JPEG, PNG, WebP or HEIC photo") from exc
    full = _jpeg(clean, FULL_SIDE)
    return Processed(full=full, thumbnail=_jpeg(clean, THUMB_SIDE), width=clean.width, height=clean.height)


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new RGB image holding only ``image``'s pixels (transparency laid on white)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    rgb = image.convert("RGB")
    fresh = Image.new("RGB", rgb.size)
    fresh.paste(rgb)
    return fresh


def _jpeg(image: Image.Image, side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def new_name() -> str:
    return secrets.token_urlsafe(18)  # 24 characters of [A-Za-z0-9_-]


def paths(folder: str, store_id: int, name: str) -> tuple[Path, Path]:
    """Where a photo and its thumbnail live; ``name`` must be one of ours (``NAME``)."""
    if not NAME.fullmatch(name):
        raise ValueError("not a photo name of ours")
    base = Path(folder) / str(int(store_id))
    return base / f"{name}.jpg", base / f"{name}.t.jpg"


def save(folder: str, store_id: int, name: str, photo: Processed) -> None:
    full, thumb = paths(folder, store_id, name)
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(photo.full)
    thumb.write_bytes(photo.thumbnail)


def delete(folder: str, store_id: int, name: str) -> None:
    for path in paths(folder, store_id, name):
        path.unlink(missing_ok=True)
