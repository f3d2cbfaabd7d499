"""The ranking itself: normalised co-purchase over best sellers, stock, NULL product ids, the merchant's
pins and exclusions, and the model kept current as orders arrive."""

from __future__ import annotations

from sqlalchemy import select

from app import clock
from app.models import Order, RecommendPair, Store
from app.recommend import Mode, for_order, model
from app.recommend.curation import choose
from tests.app.recommend.shop import days, order, product, write
from tests.helpers import make_store


def _store_with_history(aftercare):
    """Tea and cups go together in three orders; a best seller is bought alone, ten times."""
    store = make_store(aftercare)
    write(aftercare, store, *(product(code) for code in ("tea", "cup", "best", "honey")))
    write(aftercare, store, *(order(["tea", "cup"]) for _ in range(3)))
    write(aftercare, store, *(order(["best"]) for _ in range(10)))
    write(aftercare, store, order(["tea", "best"]), order(["honey", "best"]), order(["honey", "best"]))
    return store


def _picks(aftercare, store, email, mode=Mode.NEW, limit=3):
    with aftercare.db.session() as session:
        latest = session.scalars(
            select(Order)
            .where(Order.store_id == store.id, Order.contact == email)
            .order_by(Order.placed_at.desc())
        ).first()
        return [(p.external_id, p.reason.code) for p in for_order(session, latest, limit, mode)]


def _rebuild(aftercare, store):
    with aftercare.db.session() as session:
        model.build(session, session.get(Store, store.id))


def test_a_product_bought_with_the_item_outranks_a_best_seller_bought_with_nothing(aftercare):
    """The cup (bought with tea three times) comes before the best seller (bought with everything)."""
    store = _store_with_history(aftercare)
    _rebuild(aftercare, store)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    picks = _picks(aftercare, store, "noor@example.test")
    assert picks[0] == ("cup", "rec_together")
    assert "best" in [code for code, _ in picks]
    assert "tea" not in [code for code, _ in picks]  # already hers


def test_new_orders_join_the_model_without_a_rebuild(aftercare):
    """Orders ingested after the build move a new pair into the lists at once."""
    store = _store_with_history(aftercare)
    _rebuild(aftercare, store)
    write(aftercare, store, order(["honey", "tea"]), order(["honey", "tea"]), order(["honey", "tea"]))
    with aftercare.db.session() as session:
        pair = session.get(RecommendPair, (store.id, "honey", "tea"))
        assert pair is not None and pair.orders == 3
    write(aftercare, store, order(["honey"], email="sara@example.test"))
    assert _picks(aftercare, store, "sara@example.test")[0][0] == "tea"


def test_out_of_stock_or_unpublished_never_appears(aftercare):
    """The cup sells out after the build: it is left out, and so is a best seller that sells out."""
    store = _store_with_history(aftercare)
    _rebuild(aftercare, store)
    clock.freeze(clock.now() + days(1))
    write(aftercare, store, product("cup", in_stock=False), product("best", in_stock=False))
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    picks = [code for code, _ in _picks(aftercare, store, "noor@example.test", limit=10)]
    assert "cup" not in picks and "best" not in picks
    assert picks == ["honey"]


def test_a_null_product_id_in_history_changes_nothing(aftercare):
    """A custom line (gift wrapping, no product id) in the customer's history blanks nothing."""
    store = _store_with_history(aftercare)
    _rebuild(aftercare, store)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    write(aftercare, store, order(["tea"], email="dana@example.test"))
    write(aftercare, store, order([None], email="dana@example.test", placed_at=clock.now() - days(3)))
    write(aftercare, store, order(["tea", None], email="dana@example.test"))
    assert _picks(aftercare, store, "dana@example.test") == _picks(aftercare, store, "noor@example.test")
    assert _picks(aftercare, store, "dana@example.test")[0][0] == "cup"


def test_with_no_model_yet_best_sellers_fill_in(aftercare):
    """Before the first build (a new store), what was learnt from ingest alone still gives a list."""
    store = _store_with_history(aftercare)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    picks = _picks(aftercare, store, "noor@example.test")
    assert picks and picks[0][0] == "cup"


def test_pinned_comes_first_and_excluded_never(aftercare):
    """The merchant pins honey and excludes the cup: honey leads every list, the cup is gone."""
    store = _store_with_history(aftercare)
    _rebuild(aftercare, store)
    with aftercare.db.session() as session:
        held = session.get(Store, store.id)
        assert choose(session, held, "honey", "pin")
        assert choose(session, held, "cup", "exclude")
        assert not choose(session, held, "no-such-product", "pin")
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    picks = _picks(aftercare, store, "noor@example.test", limit=10)
    assert picks[0] == ("honey", "rec_pinned")
    assert "cup" not in [code for code, _ in picks]
    with aftercare.db.session() as session:
        assert choose(session, session.get(Store, store.id), "cup", None)  # the model decides again
    assert "cup" in [code for code, _ in _picks(aftercare, store, "noor@example.test", limit=10)]


def test_refunded_items_are_not_offered_again_and_buy_again_offers_what_was_kept(aftercare):
    """A refunded cup is neither re-offered nor a reason for anything; tea bought twice comes back."""
    store = make_store(aftercare)
    write(aftercare, store, *(product(code) for code in ("tea", "cup")))
    start = clock.now() - days(120)
    for n in range(3):  # three customers re-buy tea every 30 days
        for k in range(3):
            write(
                aftercare, store, order(["tea"], email=f"r{n}@example.test", placed_at=start + days(30 * k))
            )
    write(aftercare, store, order(["tea", "cup"], email="noor@example.test", refunded=("cup",)))
    _rebuild(aftercare, store)
    again = _picks(aftercare, store, "noor@example.test", mode=Mode.AGAIN)
    assert again == [("tea", "rec_rebought")]
    blended = _picks(aftercare, store, "noor@example.test", mode=Mode.BLEND)
    assert "cup" not in [code for code, _ in blended]
