"""The customer's review pages: ``/rv/<token>`` (one item: stars, words, photos), ``/nps/<token>``
(the check-in's 0-10 question) and ``/rp/<name>.jpg`` (review photos).

A star in the email opens ``/rv/<token>?stars=N``. Mail scanners open every link of a message before
the customer does, and five star links opened in a row must not record five ratings: the page
records the chosen rating itself, by a POST its script makes as soon as it loads (and a button
without script), so the customer's one click records the rating and a scanner's fetch records
nothing. The same link shows the review as it stands, to change it later. A forged, expired or
tampered token, or one naming an order of another store, is a 4xx page in the customer's language
and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app import signing
from app.journeys import config as journey_config
from app.messages.compose import choose_locale
from app.messages.localise import number
from app.models import Customer, Order, Product, Review, ReviewPhoto, ReviewStatus, Store
from app.reviews import collect, moderate, nps, photos
from app.reviews.links import ReviewLinks
from app.web import current_services
from app.web.public.review_words import WORDS, language

bp = Blueprint("reviews_public", __name__, template_folder="templates")
REQUEST_OVERHEAD = 1024 * 1024  # the form's own fields, beside the photos


def _links() -> ReviewLinks:
    return ReviewLinks(current_services().settings)


def _refuse(status: int, key: str, lang: str | None = None) -> Any:
    lang = lang or language(request.headers.get("Accept-Language"))
    words = WORDS[lang]
    page = render_template("public/review_error.html", words=words, locale=lang, message=words[key])
    return page, status


def _open(token: str) -> tuple[int, int, str] | tuple[Any, int]:
    try:
        return _links().read(token)
    except signing.TokenInvalid as exc:
        return _refuse(
            410 if "expired" in str(exc) else 400, "expired" if "expired" in str(exc) else "invalid"
        )


class _Context:
    """The store, order and item a token names, and the customer's language."""

    def __init__(self, session: Session, store: Store, order: Order, product_id: str) -> None:
        self.session, self.store, self.order, self.product_id = session, store, order, product_id
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        self.lang = choose_locale(order.locale, customer.locale if customer else None, store.default_locale)
        self.words = WORDS[self.lang]


def _load(session: Session, store_id: int, order_id: int, product_id: str) -> _Context | None:
    store = session.get(Store, store_id)
    order = session.get(Order, order_id)
    if store is None or order is None or order.store_id != store.id:  # another store's order
        return None
    return _Context(session, store, order, product_id)


@bp.route("/rv/<token>", methods=["GET", "POST"])
def review_page(token: str) -> Any:
    opened = _open(token)
    if not isinstance(opened[0], int):
        return opened
    store_id, order_id, product_id = opened  # type: ignore[misc]
    services = current_services()
    with services.db.session() as session:
        found = _load(session, store_id, order_id, product_id)
        if found is None:
            return _refuse(404, "gone")
        try:
            line = collect.item(session, found.store, found.order, product_id)
        except collect.NotReviewable:
            return _refuse(404, "gone", found.lang)
        notices: list[tuple[str, str]] = []
        if request.method == "POST":
            outcome = _submit(found, token, notices)
            if outcome is not None:
                return outcome
        review = collect.find(session, found.store, found.order, product_id)
        asked = request.args.get("stars", "")
        preselected = int(asked) if asked in {"1", "2", "3", "4", "5"} and request.method == "GET" else None
        return _page(found, token, line.title, review, preselected, notices)


@bp.post("/rv/<token>/rating")
def record_rating(token: str) -> Any:
    """The page's own POST of the star the customer clicked (in the email or on the page)."""
    opened = _open(token)
    if not isinstance(opened[0], int):
        return opened
    store_id, order_id, product_id = opened  # type: ignore[misc]
    stars = request.form.get("rating", "")
    if stars not in {"1", "2", "3", "4", "5"}:
        return jsonify(error="bad_rating", message="A rating is 1 to 5 stars."), 400
    with current_services().db.session() as session:
        found = _load(session, store_id, order_id, product_id)
        if found is None:
            return jsonify(error="not_found", message="This item can no longer be reviewed."), 404
        try:
            review = collect.rate(session, found.store, found.order, product_id, int(stars))
        except collect.NotReviewable:
            return jsonify(error="not_found", message="This item can no longer be reviewed."), 404
        said = found.words["saved_rating"].format(stars=number(review.rating, found.lang))
    if request.accept_mimetypes.best != "application/json":  # the button shown without script
        return redirect(f"/rv/{token}", code=303)
    return jsonify(rating=review.rating, message=said)


def _submit(found: _Context, token: str, notices: list[tuple[str, str]]) -> Any:
    """Save the form; None to show the page (with ``notices``), or an answer of its own."""
    settings = current_services().settings
    words = found.words
    limit = settings.review_photo_max_bytes
    request.max_content_length = limit * photos.MAX_PHOTOS + REQUEST_OVERHEAD
    try:
        form, files = request.form, request.files.getlist("photos")
    except RequestEntityTooLarge:
        mb = number((limit * photos.MAX_PHOTOS) // (1024 * 1024), found.lang)
        notices.append(("error", words["too_much"].format(mb=mb)))
        return None
    stars = form.get("rating", "")
    if stars not in {"1", "2", "3", "4", "5"}:
        notices.append(("error", words["choose_rating"]))
        return None
    processed = []
    uploads = [upload for upload in files if upload and upload.filename]
    if len(uploads) > photos.MAX_PHOTOS:
        notices.append(("error", words["too_many"].format(max=number(photos.MAX_PHOTOS, found.lang))))
    for upload in uploads[: photos.MAX_PHOTOS]:
        data = upload.stream.read(limit + 1)
        shown = _file_label(upload.filename or "")
        try:
            processed.append(
                photos.process(data, max_bytes=limit, max_pixels=settings.review_photo_max_pixels)
            )
        except photos.PhotoRefused as refused:
            mb = number(limit // (1024 * 1024), found.lang)
            notices.append(("error", words[refused.reason].format(file=shown, mb=mb)))
    submission = collect.Submission(
        rating=int(stars),
        title=form.get("title", ""),
        body=form.get("body", ""),
        display_name=form.get("display_name", ""),
        new_photos=tuple(processed),
        remove_photos=frozenset(form.getlist("remove")),
    )
    review = collect.submit(
        found.session,
        found.store,
        found.order,
        found.product_id,
        submission,
        photo_folder=settings.review_photos_dir,
    )
    config = journey_config.parse(found.store.journey).reviews
    key = "thanks_low" if moderate.is_low(review, config) else "thanks"
    notices.insert(0, ("status", words[key].format(store=found.store.name)))
    return None


def _file_label(name: str) -> str:
    """The customer's file name, only to say which photo was refused: its last part, shortened."""
    return name.replace("\\", "/").rsplit("/", 1)[-1][:60] or "?"


def _page(
    found: _Context,
    token: str,
    title: str,
    review: Review | None,
    preselected: int | None,
    notices: list[tuple[str, str]],
) -> Any:
    links = _links()
    image = found.session.scalar(
        select(Product.image_url).where(
            Product.store_id == found.store.id, Product.external_id == found.product_id
        )
    )
    rating = preselected or (review.rating if review else None)
    shown_photos = (
        [{"name": p.name, "url": links.photo(p.name, thumbnail=True)} for p in review.photos]
        if review
        else []
    )
    words = {key: value for key, value in found.words.items()}
    lang = found.lang
    answer = render_template(
        "public/review.html",
        words=words,
        locale=lang,
        store=found.store,
        product=title,
        image=image if image and image.startswith("https://") else None,
        number=found.order.number,
        review=review,
        rating=rating,
        preselected=preselected,
        star_labels={n: words["star"].format(n=number(n, lang)) for n in range(1, 6)},
        photos=shown_photos,
        max_photos=number(photos.MAX_PHOTOS, lang),
        notices=notices,
        rating_url=f"/rv/{token}/rating",
        published=review is not None and review.status == ReviewStatus.APPROVED,
    )
    status = 422 if any(kind == "error" for kind, _ in notices) and request.method == "POST" else 200
    return answer, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


# --- NPS -------------------------------------------------------------------------------------------


@bp.route("/nps/<token>", methods=["GET", "POST"])
def nps_page(token: str) -> Any:
    try:
        store_id, order_id = _links().read_nps(token)
    except signing.TokenInvalid as exc:
        return _refuse(
            410 if "expired" in str(exc) else 400, "expired" if "expired" in str(exc) else "invalid"
        )
    with current_services().db.session() as session:
        store, order = session.get(Store, store_id), session.get(Order, order_id)
        if store is None or order is None or order.store_id != store.id:
            return _refuse(404, "gone")
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        lang = choose_locale(order.locale, customer.locale if customer else None, store.default_locale)
        words = WORDS[lang]
        asked = request.values.get("score", "")
        score = int(asked) if asked.isdigit() and 0 <= int(asked) <= 10 else None
        if request.method == "POST":
            if score is None:
                return jsonify(error="bad_score", message="A score is 0 to 10."), 400
            nps.record(session, store, order, score)
            said = words["nps_saved"].format(score=number(score, lang))
            if request.accept_mimetypes.best == "application/json":
                return jsonify(score=score, message=said)
            return _nps(words, lang, store, score, said)
        current = order.nps_score if order.nps_score is not None else None
        return _nps(words, lang, store, score if score is not None else current, None, auto=score is not None)


def _nps(
    words: dict[str, str], lang: str, store: Store, score: int | None, said: str | None, auto: bool = False
) -> Any:
    return (
        render_template(
            "public/nps.html",
            words=words,
            locale=lang,
            store=store,
            question=words["nps_question"].format(store=store.name),
            scores=[(n, number(n, lang)) for n in range(11)],
            score=score,
            said=said,
            auto=auto,
        ),
        200,
        {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


# --- photos ----------------------------------------------------------------------------------------


@bp.get("/rp/<name>.jpg")
def photo(name: str) -> Response:
    """A photo: public while its review is approved; pending ones only by a signed address (the
    merchant's page, the customer's preview); a rejected review's never."""
    thumbnail = name.endswith(".t")
    base = name[:-2] if thumbnail else name
    if not photos.NAME.fullmatch(base):
        abort(404)
    services = current_services()
    with services.db.session() as session:
        found = session.scalars(select(ReviewPhoto).where(ReviewPhoto.name == base)).first()
        review = session.get(Review, found.review_id) if found is not None else None
        if found is None or review is None or review.status == ReviewStatus.REJECTED:
            abort(404)
        signed = _links().photo_signed(base, request.args.get("s", ""))
        if review.status != ReviewStatus.APPROVED and not signed:
            abort(404)
        full, thumb = photos.paths(services.settings.review_photos_dir, found.store_id, base)
    path = thumb if thumbnail else full
    if not path.is_file():
        abort(404)
    response = send_file(path.resolve(), mimetype="image/jpeg", max_age=0 if signed else 300)
    response.headers["Content-Disposition"] = "inline"
    return response
