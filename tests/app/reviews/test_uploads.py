"""Hostile uploads to the review page: each is refused with a sentence or neutralised, nothing is
stored outside the photo folder and nothing answers 500. Good photos (JPEG, PNG, WebP, HEIC) are kept
re-encoded, upright, without EXIF or location."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app import clock
from app.models import Review, ReviewPhoto
from app.reviews.links import ReviewLinks
from tests.app.reviews.helpers import delivered_order
from tests.helpers import make_store


@pytest.fixture
def page(app, aftercare):
    store = make_store(aftercare)
    order_id = delivered_order(aftercare, store, items=1)
    clock.reset()  # the signed photo links the page shows age by the real clock
    return (
        ReviewLinks(aftercare.settings).page(store.id, order_id, "101").replace("http://127.0.0.1:8000", "")
    )


def photo(fmt: str = "JPEG", size: tuple[int, int] = (120, 80), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt, **save)
    return out.getvalue()


def send(app, page, *files: tuple[bytes, str], body: str = "Nice", **fields: str):
    uploads = [FileStorage(io.BytesIO(raw), filename=name, content_type="image/jpeg") for raw, name in files]
    data = {"rating": "5", "body": body, **fields, "photos": uploads}
    # Encoded here, in memory: the test client would spool a large body to a temporary file that
    # nobody closes.
    boundary, body_bytes = encode_multipart(MultiDict([(k, v) for k, vs in data.items() for v in _many(vs)]))
    return app.test_client().post(
        page, data=body_bytes, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _many(value):
    return value if isinstance(value, list) else [value]


def stored(aftercare) -> list[ReviewPhoto]:
    with aftercare.db.session() as session:
        rows = session.scalars(select(ReviewPhoto)).all()
        session.expunge_all()
        return list(rows)


def everything_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_good_photos_of_every_format_are_kept_re_encoded_without_exif(app, aftercare, page):
    exif = Image.Exif()
    exif[0x010F] = "Spyware Camera Co"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90°, to be turned upright
    exif[0x8825] = {2: (24.0, 42.0, 36.0), 4: (46.0, 41.0, 0.0)}  # GPSInfo: Riyadh
    jpeg = photo("JPEG", exif=exif.tobytes())
    answer = send(
        app,
        page,
        (jpeg, "IMG_0001.JPG"),
        (photo("PNG"), "a.png"),
        (photo("WEBP"), "b.webp"),
        (photo("HEIF"), "c.heic"),
    )
    assert answer.status_code == 200 and "Your review is saved" in answer.text
    rows = stored(aftercare)
    assert len(rows) == 4
    folder = Path(aftercare.settings.review_photos_dir)
    with Image.open(folder / str(rows[0].store_id) / f"{rows[0].name}.jpg") as first:
        assert first.format == "JPEG" and first.size == (80, 120)  # upright
        assert not first.getexif() and "exif" not in first.info
    raw = (folder / str(rows[0].store_id) / f"{rows[0].name}.jpg").read_bytes()
    assert b"Spyware" not in raw and b"GPS" not in raw


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose header says it is ``width`` x ``height``: decoding it would need
    gigabytes (a decompression bomb)."""
    data = bytearray(photo("JPEG", (16, 16)))
    at = data.index(b"\xff\xc0") + 5  # SOF0: marker, length (2), precision (1), then height, width
    data[at : at + 4] = struct.pack(">HH", height, width)
    return bytes(data)


HOSTILE = {
    "svg_with_script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg"),
    "jpeg_bomb": (_jpeg_claiming(65000, 65000), "bomb.jpg"),
    "html_named_jpg": (b"<html><script>alert(document.cookie)</script></html>", "photo.jpg"),
    "truncated_jpeg": (photo("JPEG")[:60], "cut.jpg"),
    "gif": (photo("GIF"), "anim.gif"),
    "empty": (b"", "empty.jpg"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_what_is_no_photo_is_refused_with_a_sentence_and_the_words_are_still_kept(app, aftercare, page, name):
    raw, filename = HOSTILE[name]
    answer = send(app, page, (raw, filename))
    assert answer.status_code == 422
    assert "not a JPEG, PNG, WebP or HEIC photo" in answer.text or "too many pixels" in answer.text
    assert stored(aftercare) == []
    with aftercare.db.session() as session:
        assert session.scalars(select(Review.body)).one() == "Nice"  # the review itself is kept


def test_a_50_mb_upload_is_refused_without_a_500(app, aftercare, page):
    answer = send(app, page, (b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), "huge.jpg"))
    assert answer.status_code in (413, 422)
    assert "too large" in answer.text
    assert stored(aftercare) == []


def test_a_file_named_to_climb_out_of_the_folder_is_stored_by_our_own_name(app, aftercare, page, tmp_path):
    before = everything_under(tmp_path)
    answer = send(app, page, (photo("PNG"), "../../x"), (photo("PNG"), "..\\..\\evil.jpg"))
    assert answer.status_code == 200
    added = everything_under(tmp_path) - before
    folder = Path(aftercare.settings.review_photos_dir).resolve()
    assert len(added) == 4  # two photos, a thumbnail each
    assert all(path.resolve().is_relative_to(folder) for path in added)
    assert not any("x" == path.stem or "evil" in path.name for path in added)


def test_a_polyglot_is_neutralised_by_re_encoding(app, aftercare, page):
    payload = b"<html><body><script>alert(1)</script></body></html>PK\x03\x04zipzipzip"
    answer = send(app, page, (photo("JPEG") + payload, "poly.jpg"))
    assert answer.status_code == 200
    [row] = stored(aftercare)
    kept = (Path(aftercare.settings.review_photos_dir) / str(row.store_id) / f"{row.name}.jpg").read_bytes()
    assert b"<script" not in kept and b"PK\x03\x04" not in kept
    link = ReviewLinks(aftercare.settings).photo(row.name).replace("http://127.0.0.1:8000", "")
    served = app.test_client().get(link)
    served.close()  # a file answer holds the file open until closed
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_html_and_direction_overrides_in_the_words_are_neutralised(app, aftercare, page):
    words = 'Great <img src=x onerror="alert(1)"> tea \u202egnp.exe\u202c \u2066isolate\u2069\x07'
    answer = send(app, page, title="<b>Title</b>\u202e", body=words, display_name="<script>Layla</script>")
    assert answer.status_code == 200
    with aftercare.db.session() as session:
        review = session.scalars(select(Review)).one()
        assert review.body == 'Great <img src=x onerror="alert(1)"> tea gnp.exe isolate'
        assert review.title == "<b>Title</b>" and "\u202e" not in review.title
    shown = app.test_client().get(page).text
    assert "<img src=x" not in shown and "&lt;img src=x" in shown
    assert "<script>Layla" not in shown


def test_a_sixth_photo_is_not_added(app, aftercare, page):
    answer = send(app, page, *[(photo("PNG"), f"{n}.png") for n in range(6)])
    assert answer.status_code == 422 and "At most 5 photos" in answer.text
    assert len(stored(aftercare)) == 5


def test_a_rejected_review_s_photos_are_no_longer_served(app, aftercare, page):
    send(app, page, (photo("PNG"), "a.png"))
    [row] = stored(aftercare)
    links = ReviewLinks(aftercare.settings)
    client = app.test_client()

    def status(path: str) -> int:
        answer = client.get(path)
        answer.close()
        return answer.status_code

    public = links.photo(row.name, public=True).replace("http://127.0.0.1:8000", "")
    signed = links.photo(row.name).replace("http://127.0.0.1:8000", "")
    assert status(public) == 404  # pending: only by a signed link
    assert status(signed) == 200
    with aftercare.db.session() as session:
        session.scalars(select(Review)).one().status = "approved"
    assert status(public) == 200
    with aftercare.db.session() as session:
        session.scalars(select(Review)).one().status = "rejected"
    assert status(public) == 404 and status(signed) == 404
    assert status("/rp/..%2F..%2Fetc%2Fpasswd.jpg") == 404


def test_a_large_photo_is_kept_resized_with_its_thumbnail(app, aftercare, page):
    answer = send(app, page, (photo("JPEG", size=(3200, 2400)), "big.jpg"))
    assert answer.status_code == 200
    [row] = stored(aftercare)
    folder = Path(aftercare.settings.review_photos_dir) / str(row.store_id)
    with Image.open(folder / f"{row.name}.jpg") as full, Image.open(folder / f"{row.name}.t.jpg") as thumb:
        assert full.size == (1600, 1200) and thumb.size == (400, 300)
    assert (row.width, row.height) == (1600, 1200)
