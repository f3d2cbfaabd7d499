"""What a store's own storefront asks us: ``/proxy/<platform>/reviews?product_id=N``, reached through
the platform's app proxy (Shopify: ``/apps/aftercare/reviews`` on the shop's domain, declared in
``shopify.app.toml``) by the theme app block in ``extensions/``.

Every request is verified by the platform's signature (refused with 401 otherwise, whatever it asks),
and answers only the approved reviews of the shop that signed it, as JSON with their JSON-LD; the
answer is cached (``app.reviews.storefront``) and may be cached by the shop's CDN for a minute.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from app.models import Store, StoreStatus
from app.reviews import storefront
from app.reviews.links import ReviewLinks
from app.web import current_services
from connectors.base import HttpRequest, StorefrontProxy

bp = Blueprint("storefront", __name__)
PRODUCT = re.compile(r"^(?:gid://shopify/Product/)?(\d{1,20})$")


@bp.get("/proxy/<platform>/reviews")
def reviews(platform: str) -> Any:
    services = current_services()
    connector = services.connectors.get(platform)
    if not isinstance(connector, StorefrontProxy):
        abort(404)
    asked = HttpRequest(method="GET", url=request.url, headers=dict(request.headers))
    shop = connector.verify_proxy(asked)
    if shop is None:
        return jsonify(error="unauthorized", message="This request is not signed by the store."), 401
    found = PRODUCT.fullmatch(request.args.get("product_id", ""))
    if found is None:
        return jsonify(error="bad_request", message="product_id must be the product's number."), 400
    links = ReviewLinks(services.settings)
    with services.db.session() as session:
        store = session.scalars(
            select(Store).where(Store.platform == platform, Store.external_id == shop)
        ).first()
        if store is None or store.status == StoreStatus.UNINSTALLED:
            return jsonify(error="not_found", message="This shop does not use Aftercare."), 404
        answer = storefront.reviews_of(
            session,
            store,
            found.group(1),
            lambda name, thumb: links.photo(name, thumbnail=thumb, public=True),
        )
    response = jsonify(answer)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
