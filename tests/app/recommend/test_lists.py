"""Each contact's ranked list: ranked at the build, ranked again as their orders change, the same as
ranking their history afresh, re-bought products first in a blend, and erased with the contact."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import delete, func, select

from app import clock, privacy
from app.models import RecommendList, Store
from app.recommend import Mode, lists, model
from tests.app.recommend.shop import days, order, product, write
from tests.app.recommend.test_ranking import _picks, _rebuild, _store_with_history
from tests.helpers import make_store


def _listed(aftercare, store, email):
    with aftercare.db.session() as session:
        return session.scalar(
            select(func.count()).where(RecommendList.store_id == store.id, RecommendList.contact == email)
        )


def test_a_product_the_customer_buys_after_the_build_is_not_cross_sold_to_them(aftercare):
    """Noor is offered the cup after her tea; once she buys the cup it is hers, and never offered."""
    store = _store_with_history(aftercare)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    _rebuild(aftercare, store)
    assert _listed(aftercare, store, "noor@example.test") > 0
    assert _picks(aftercare, store, "noor@example.test")[0][0] == "cup"
    clock.freeze(clock.now() + days(1))
    write(aftercare, store, order(["cup"], email="noor@example.test"))
    assert "cup" not in [code for code, _ in _picks(aftercare, store, "noor@example.test", limit=10)]


def test_a_refund_after_the_build_takes_the_product_off_every_list(aftercare):
    """Tea re-bought and then refunded: neither buy again nor a blend offers it any more."""
    store = make_rebuyers(aftercare)
    first = order(["tea"], email="noor@example.test", placed_at=clock.now() - days(40))
    last = order(["tea"], email="noor@example.test", placed_at=clock.now() - days(10))
    write(aftercare, store, first, last)
    _rebuild(aftercare, store)
    assert _picks(aftercare, store, "noor@example.test", mode=Mode.AGAIN) == [("tea", "rec_rebought")]
    for snapshot in (first, last):
        refunded = order(["tea"], email="noor@example.test", placed_at=snapshot.placed_at, refunded=("tea",))
        write(
            aftercare,
            store,
            dataclasses.replace(snapshot, updated_at=clock.now() + days(1), lines=refunded.lines[:1]),
        )
    assert _picks(aftercare, store, "noor@example.test", mode=Mode.AGAIN) == []
    assert "tea" not in [code for code, _ in _picks(aftercare, store, "noor@example.test", mode=Mode.BLEND)]


def test_a_blend_offers_what_the_customer_rebuys_before_anything_new(aftercare):
    """Noor re-buys tea: a blended list starts with it, then the cup bought with tea."""
    store = make_rebuyers(aftercare)
    write(aftercare, store, *(order(["tea", "cup"]) for _ in range(3)))
    write(aftercare, store, order(["tea"], email="noor@example.test", placed_at=clock.now() - days(30)))
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    _rebuild(aftercare, store)
    assert _picks(aftercare, store, "noor@example.test", mode=Mode.BLEND)[:2] == [
        ("tea", "rec_rebought"),
        ("cup", "rec_together"),
    ]


def test_the_list_ranked_at_the_build_is_the_one_ranked_from_the_history(aftercare):
    """What the build ranks for a contact (all contacts at once) is what their history alone gives."""
    store = _store_with_history(aftercare)
    write(aftercare, store, order(["tea"], email="noor@example.test", placed_at=clock.now() - days(20)))
    write(aftercare, store, order(["honey"], email="noor@example.test"))
    _rebuild(aftercare, store)
    built = {mode: _picks(aftercare, store, "noor@example.test", mode=mode, limit=10) for mode in Mode}
    with aftercare.db.session() as session:
        session.execute(delete(RecommendList).where(RecommendList.store_id == store.id))
    assert {
        mode: _picks(aftercare, store, "noor@example.test", mode=mode, limit=10) for mode in Mode
    } == built
    assert [code for code, _ in built[Mode.NEW][:2]] == ["best", "cup"]  # honey's, then tea's


def test_erasing_a_customer_erases_their_list(aftercare):
    """A redacted customer's ranked list, keyed by their address, goes with them."""
    store = _store_with_history(aftercare)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    _rebuild(aftercare, store)
    assert _listed(aftercare, store, "noor@example.test") > 0
    with aftercare.db.session() as session:
        privacy.redact_customer(session, session.get(Store, store.id), None, "noor@example.test")
    assert _listed(aftercare, store, "noor@example.test") == 0


def make_rebuyers(aftercare):
    """Three customers re-buy tea every 30 days; the cup is bought once each."""

    store = make_store(aftercare)
    write(aftercare, store, *(product(code) for code in ("tea", "cup")))
    start = clock.now() - days(120)
    for n in range(3):
        for k in range(3):
            write(
                aftercare, store, order(["tea"], email=f"r{n}@example.test", placed_at=start + days(30 * k))
            )
    return store


@pytest.mark.parametrize("rebuilt", [False, True], ids=["learnt", "built"])
def test_an_early_customer_of_a_new_store_is_offered_what_it_sells_later(aftercare, rebuilt):
    """Noor buys tea and jam when the store had sold one cup: her list, ranked then, holds the cup
    alone. A week on the store sells honey too; her cross-sell offers both, not a list gone stale (the
    month found an early customer whose every pick had gone and who never got a cross-sell)."""
    store = make_store(aftercare)
    write(aftercare, store, *(product(code) for code in ("tea", "cup", "honey", "jam")))
    write(aftercare, store, order(["cup"]))
    write(aftercare, store, order(["tea", "jam"], email="noor@example.test"))
    if rebuilt:
        _rebuild(aftercare, store)
    assert _listed(aftercare, store, "noor@example.test") == 1
    assert [code for code, _ in _picks(aftercare, store, "noor@example.test")] == ["cup"]
    clock.freeze(clock.now() + days(7))
    write(aftercare, store, *(order(["honey"]) for _ in range(4)), *(order(["cup"]) for _ in range(2)))
    assert [code for code, _ in _picks(aftercare, store, "noor@example.test")] == ["honey", "cup"]


def make_tea_then_biscuits(aftercare):
    """Three customers buy tea and, a week later in another order, biscuits: no order holds both.
    Ten others buy the best seller alone."""
    store = make_store(aftercare)
    write(aftercare, store, *(product(code) for code in ("tea", "biscuits", "best", "jam")))
    start = clock.now() - days(30)
    for n in range(3):
        write(aftercare, store, order(["tea"], email=f"r{n}@example.test", placed_at=start))
        write(aftercare, store, order(["biscuits"], email=f"r{n}@example.test", placed_at=start + days(7)))
    write(aftercare, store, *(order(["best"]) for _ in range(10)))
    return store


def test_what_customers_with_the_same_taste_bought_comes_before_a_best_seller(aftercare):
    """Noor buys tea; everyone else who bought tea came back for biscuits, never in the same order:
    her cross-sell offers the biscuits first, saying why, before the best seller."""
    store = make_tea_then_biscuits(aftercare)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    _rebuild(aftercare, store)
    assert _picks(aftercare, store, "noor@example.test")[:2] == [
        ("biscuits", "rec_similar"),
        ("best", "rec_best_seller"),
    ]


def test_a_new_order_keeps_what_customers_like_them_bought_until_the_next_build(aftercare):
    """Noor's list is ranked again when she buys jam: the biscuits her peers bought stay first."""
    store = make_tea_then_biscuits(aftercare)
    write(aftercare, store, order(["tea"], email="noor@example.test"))
    _rebuild(aftercare, store)
    clock.freeze(clock.now() + days(1))
    write(aftercare, store, order(["jam"], email="noor@example.test"))
    assert _picks(aftercare, store, "noor@example.test")[0] == ("biscuits", "rec_similar")


def _all_lists(aftercare, store):
    with aftercare.db.session() as session:
        rows = session.execute(
            select(
                RecommendList.contact,
                RecommendList.product_external_id,
                RecommendList.kind,
                RecommendList.score,
                RecommendList.source,
                RecommendList.orders,
                RecommendList.variant_external_id,
            ).where(RecommendList.store_id == store.id)
        )
        return sorted(tuple(row) for row in rows)


def test_lists_ranked_for_a_whole_batch_are_each_contacts_own_ranking(aftercare):
    """Noor, Sara, Omar and a guest with no address order in one batch: each list is what ranking
    that contact again on their own gives, and their lists are their own (not one list for all)."""
    store = _store_with_history(aftercare)
    _rebuild(aftercare, store)
    clock.freeze(clock.now() + days(1))
    guest = dataclasses.replace(order(["cup"]), customer=None)
    batch = [
        order(["tea"], email="noor@example.test"),
        order(["honey"], email="sara@example.test"),
        order(["tea", "honey"], email="omar@example.test"),
        order(["best"], email="noor@example.test", placed_at=clock.now() - days(3)),
        guest,
    ]
    results = write(aftercare, store, *batch)
    together = _all_lists(aftercare, store)
    for result in results:  # each contact's list ranked again alone, as a refund would
        with aftercare.db.session() as session:
            model.refresh(session, session.get(Store, store.id), [result.order_id])
    assert _all_lists(aftercare, store) == together
    contacts = {row[0] for row in together}
    assert {"noor@example.test", "sara@example.test", "omar@example.test"} <= contacts
    assert any(contact.startswith(lists.GUEST) for contact in contacts)
    noor = [row[1] for row in together if row[0] == "noor@example.test"]
    sara = [row[1] for row in together if row[0] == "sara@example.test"]
    assert "cup" in noor and "tea" not in noor and "best" not in noor
    assert noor != sara
