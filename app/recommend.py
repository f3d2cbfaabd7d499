"""Complementary products: what the store's customers buy together with what this order holds.

Co-purchase counts over the store's own orders, best first, leaving out what this customer already
bought and what is out of stock; when the store has too little history, its best sellers fill in.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.models import Order, OrderLine, Product

LIMIT = 3


def for_order(session: Session, order: Order, limit: int = LIMIT) -> list[Product]:
    mine = select(OrderLine.product_external_id).where(OrderLine.order_id == order.id)
    bought = (
        select(OrderLine.product_external_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.store_id == order.store_id, Order.customer_id == order.customer_id)
        if order.customer_id
        else mine
    )
    other = aliased(OrderLine)
    together = (
        select(other.product_external_id, func.count().label("score"))
        .join(OrderLine, OrderLine.order_id == other.order_id)
        .where(
            OrderLine.store_id == order.store_id,
            OrderLine.product_external_id.in_(mine),
            OrderLine.order_id != order.id,
            other.product_external_id.not_in(bought),
        )
        .group_by(other.product_external_id)
    )
    popular = (
        select(OrderLine.product_external_id, func.count().label("score"))
        .where(OrderLine.store_id == order.store_id, OrderLine.product_external_id.not_in(bought))
        .group_by(OrderLine.product_external_id)
    )
    chosen: list[Product] = []
    for query in (together, popular):
        ranked = session.execute(
            query.order_by(func.count().desc(), query.selected_columns[0]).limit(limit * 4)
        ).all()
        ids = [row[0] for row in ranked if row[0]]
        products = {
            product.external_id: product
            for product in session.scalars(
                select(Product).where(
                    Product.store_id == order.store_id, Product.external_id.in_(ids), Product.in_stock
                )
            )
        }
        for product_id in ids:
            if product_id in products and products[product_id] not in chosen:
                chosen.append(products[product_id])
            if len(chosen) == limit:
                return chosen
    return chosen
