"""Web Vitals and an accessibility audit of every merchant page, in Debian's Chromium.

``python -m bench.pages`` migrates a fresh SQLite database, seeds a store with a few hundred orders
and their planned messages, serves the app on loopback (werkzeug, threaded) and opens each merchant
page in English and Arabic at desktop and phone width through Playwright. In the page it reads:

- LCP (largest-contentful-paint entries) and CLS (layout-shift entries not caused by input, summed) by
  PerformanceObserver, as the web-vitals library does;
- INP: the longest ``event`` timing entry of a real interaction (a click on the page's heading, a
  key press in its first field), with ``durationThreshold`` 16 ms;
- axe-core (``bench/vendor/axe.min.js``, from the npm registry) run in the page: violations by impact.

Thresholds are Built for Shopify's: LCP <= 2.5 s, CLS <= 0.1, INP <= 200 ms; and no serious or
critical axe violation. Figures are printed per page; the last line is the summary. The machine is
shared: LCP includes its load, so read it against the threshold, not as a race.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from app import clock, create_app, services
from app.web.admin.auth import login_url
from bench import common

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
THRESHOLDS = {"lcp": 2500.0, "cls": 0.1, "inp": 200.0}
PAGES = {
    "setup": "/admin/setup",
    "activity": "/admin/activity",
    "orders": "/admin/",
    "order": "/admin/orders/{order}",
    "journey": "/admin/journey",
    "messages": "/admin/templates",
    "editor": "/admin/templates/review_request/{lang}",
    "dashboard": "/admin/dashboard",
    "plan": "/admin/billing",
    "sending": "/admin/sending",
    "tracking": "/admin/tracking",
    "reviews": "/admin/reviews",
    "recommendations": "/admin/recommendations",
}
VITALS = """
window.__vitals = {lcp: 0, cls: 0, inp: 0};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    window.__vitals.lcp = Math.max(window.__vitals.lcp, entry.startTime);
}).observe({type: "largest-contentful-paint", buffered: true});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__vitals.cls += entry.value;
}).observe({type: "layout-shift", buffered: true});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.interactionId) window.__vitals.inp = Math.max(window.__vitals.inp, entry.duration);
}).observe({type: "event", buffered: true, durationThreshold: 16});
"""


@contextlib.contextmanager
def app_serving(orders: int) -> Iterator[tuple[str, Any, int]]:
    """The app on a seeded SQLite database; yields (base URL, a maker of sign-in links (each works
    once), an order id)."""
    from werkzeug.serving import make_server

    with common.database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        server = make_server("127.0.0.1", 0, None, threaded=True)  # port first: links name it
        base = f"http://127.0.0.1:{server.server_port}"
        server.server_close()
        app = create_app(common.settings(url, public_url=base, outbox_dir=folder))
        db = services(app).db
        store_id = common.store(db, timezone="Asia/Riyadh", default_locale="ar")
        common.seed(db, store_id, orders, now=common.NOW)
        clock.freeze(common.NOW)
        _plan(app, store_id)
        with db.session() as session:
            from sqlalchemy import select

            from app.models import Order

            order_id = session.scalar(select(Order.id).where(Order.store_id == store_id).limit(1))
        server = make_server("127.0.0.1", int(base.rsplit(":", 1)[1]), app, threaded=True)
        import threading

        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base, lambda: login_url(services(app).settings, store_id), int(order_id or 1)
        finally:
            server.shutdown()
            clock.reset()


def _plan(app: Any, store_id: int) -> None:
    """Plan every seeded order's journey, as ingest would have."""
    from sqlalchemy import select

    from app.journeys import reconcile
    from app.models import Order, Store

    db = services(app).db
    with db.session() as session:
        store = session.get(Store, store_id)
        ids = session.scalars(select(Order.id).where(Order.store_id == store_id)).all()
        reconcile.refresh(session, store, reconcile.orders_of(session, store, set(ids)))


def measure(page: Page, url: str) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # let the last paints land before the interaction
    heading = page.locator("main h1").first
    if heading.count():
        heading.click()
    field = page.locator("main input[type=text], main input[type=email], main textarea").first
    if field.count():
        field.focus()
        page.keyboard.press("End")
    page.wait_for_timeout(300)
    vitals = page.evaluate("window.__vitals")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.length})))"
    )
    return {**vitals, "violations": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--langs", default="en,ar")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the figures, not the access log
    rows = []
    with app_serving(args.orders) as (base, link, order_id), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width in (1280, 390):
            # bypass_csp: axe is added to the page by the bench; the pages' own policy refuses it
            context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            context.add_init_script(VITALS)
            page = context.new_page()
            page.goto(link())
            for lang in args.langs.split(","):
                for name, path in PAGES.items():
                    url = base + path.format(order=order_id, lang=lang) + f"?lang={lang}"
                    figures = measure(page, url)
                    serious = [v for v in figures["violations"] if v["impact"] in ("serious", "critical")]
                    rows.append({"page": name, "lang": lang, "width": width, **figures, "serious": serious})
                    print(  # noqa: T201 - the bench's report
                        f"{name:10} {lang} {width:4}px  LCP {figures['lcp']:7.0f} ms  "
                        f"CLS {figures['cls']:.3f}  "
                        f"INP {figures['inp']:5.0f} ms  axe serious/critical {len(serious)}"
                        + (f" ({', '.join(v['id'] for v in serious)})" if serious else "")
                        + f"  (all: {len(figures['violations'])})"
                    )
            context.close()
        browser.close()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    worst = {key: max(row[key] for row in rows) for key in ("lcp", "cls", "inp")}
    serious = sum(len(row["serious"]) for row in rows)
    passed = all(worst[key] <= THRESHOLDS[key] for key in THRESHOLDS) and serious == 0
    print(  # noqa: T201
        f"pages: {len(rows)} page views ({len(PAGES)} pages x {args.langs} x 2 widths); worst LCP "
        f"{worst['lcp']:.0f} ms (<= 2500), CLS {worst['cls']:.3f} (<= 0.1), INP {worst['inp']:.0f} ms "
        f"(<= 200); axe serious/critical violations {serious}; {'PASS' if passed else 'FAIL'}"
    )
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
