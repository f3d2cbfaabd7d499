"""The optional open pixel: off by default; when on, the first open of a message is recorded."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.models import Message
from scheduler.jobs import make_dispatcher
from tests import helpers
from tests.helpers import T0, ingest_order, make_store

order_snapshot = functools.partial(helpers.order_snapshot, accepts_marketing=False)


def _sent_html(aftercare, smtp, **store_fields):
    clock.freeze(T0)
    store = make_store(aftercare, smtp_port=smtp.port, **store_fields)
    ingest_order(aftercare, store, order_snapshot("1001"))
    make_dispatcher(aftercare, "w1").run_until_idle()
    return smtp.wait_for(1)[0].message.get_body(("html",)).get_content()


def test_no_pixel_unless_the_store_turns_it_on(aftercare, smtp):
    assert "/o/" not in _sent_html(aftercare, smtp)


def test_the_first_open_is_recorded_and_bad_tokens_record_nothing(app, aftercare, smtp):
    html = _sent_html(aftercare, smtp, journey='{"open_pixel": true}')
    [pixel] = re.findall(r'<img src="http://127\.0\.0\.1:8000(/o/[^"]+\.gif)"', html)
    client = app.test_client()
    forged = client.get(pixel.replace(".gif", "x.gif"))
    assert forged.status_code == 200 and forged.mimetype == "image/gif"
    with aftercare.db.session() as session:
        assert session.scalars(select(Message.opened_at)).one() is None
    clock.freeze(T0 + timedelta(hours=2))
    response = client.get(pixel)
    assert response.status_code == 200 and response.data.startswith(b"GIF89a")
    assert response.headers["Cache-Control"].startswith("no-store")
    clock.freeze(T0 + timedelta(days=3))
    client.get(pixel)  # opened again: the first open stays
    with aftercare.db.session() as session:
        assert session.scalars(select(Message.opened_at)).one() == T0 + timedelta(hours=2)
