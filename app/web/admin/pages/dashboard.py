"""The dashboard: messages sent per step, clicks, reviews and failures, and the revenue of orders placed
after a click, as server-rendered SVG (pygal) with the numbers beside them.

No script comes with the charts: pygal's tooltips are a script it loads from a third-party site, and
no page of ours loads anything from another origin (``js=[]``). Count charts have whole-number axes;
every label is in the merchant's numerals."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pygal
from flask import request
from markupsafe import Markup
from pygal.style import Style

from app import stats
from app.journeys import config as journey_config
from app.journeys.steps import STEPS
from app.messages.localise import number
from app.parcels import delivery_stats
from app.reviews import figures as review_figures
from app.web import current_services
from app.web.admin import tracking_words, view, words
from app.web.admin.pages.common import bp, signed_in_store

PERIODS = (7, 30, 90)
CHART_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    colors=("#1f3a34", "#c07a2c", "#5a7fa8", "#9b4d6b", "#6b8f3a", "#7a6fb0", "#b55a3c", "#3c8f8a"),
    font_family="-apple-system, BlinkMacSystemFont, 'San Francisco', 'Segoe UI', Roboto, Tahoma, sans-serif",
)
TICKS = 5
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def whole_ticks(largest: float) -> list[int]:
    """Axis ticks for counts: whole numbers from 0, about ``TICKS`` of them, never 0.1 steps."""
    top = max(1, math.ceil(largest))
    step = max(1, math.ceil(top / TICKS))
    return list(range(0, top + step, step))


def _chart(
    title: str,
    days: list[Any],
    series: Mapping[str, Sequence[float]],
    lang: str,
    *,
    stacked: bool = True,
    counts: bool = True,
) -> Markup:
    if stacked:
        largest = max((sum(values) for values in zip(*series.values(), strict=True)), default=0)
    else:
        largest = max((max(values, default=0) for values in series.values()), default=0)
    ticks = whole_ticks(largest) if counts else None
    chart = (pygal.StackedBar if stacked else pygal.Line)(
        js=[],  # pygal's tooltip script lives on another site: nothing is fetched from elsewhere
        value_formatter=lambda value: number(value, lang),
        y_labels=ticks,
        range=(0, ticks[-1]) if ticks else None,
        include_x_axis=True,
        style=CHART_STYLE,
        height=260,
        width=720,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        x_label_rotation=0,
        show_minor_x_labels=False,
        disable_xml_declaration=True,
        explicit_size=False,
        title=title,
        print_values=False,
        dots_size=2,
    )
    chart.x_labels = [number(day.day, lang) for day in days]
    chart.x_labels_major = [number(day.day, lang) for day in days[:: max(1, len(days) // 8)]]
    for name, values in series.items():
        chart.add(name, values)
    svg = SCRIPT.sub("", chart.render(is_unicode=True))  # pygal's inline config for the tooltips we drop
    return Markup(svg)  # noqa: S704 - pygal's SVG, our own data escaped by pygal


@bp.get("/dashboard")
def dashboard() -> str:
    period = request.args.get("days", "30")
    days = int(period) if period.isdigit() and int(period) in PERIODS else 30
    with current_services().db.session() as db:
        store = signed_in_store(db)
        lang = view.ui_language(store)
        t = words.translator(lang)
        numbers = stats.collect(db, store, days)
        step_title = {name: t(step.title) for name, step in STEPS.items()}
        sent_series = {
            step_title.get(name, name): [numbers.sent[name][day] for day in numbers.days]
            for name in STEPS
            if name in numbers.sent
        }
        charts = {
            "sent": _chart(
                t("Messages sent per step"), numbers.days, sent_series or {t("Sent"): [0] * days}, lang
            ),
            "engagement": _chart(
                t("Clicks, reviews and delivery failures"),
                numbers.days,
                {
                    t("Clicks"): [numbers.clicks[day] for day in numbers.days],
                    t("Reviews"): [numbers.reviews[day] for day in numbers.days],
                    t("Failures"): [numbers.failed[day] for day in numbers.days],
                },
                lang,
                stacked=False,
            ),
            "revenue": _chart(
                t("Revenue from orders placed after a click"),
                numbers.days,
                {
                    currency: [float(values[day]) for day in numbers.days]
                    for currency, values in numbers.revenue.items()
                }
                or {store.currency: [0] * days},
                lang,
                stacked=False,  # money, but whole units on the axis read as well and never 0.1 steps
            ),
        }
        return view.page(
            "admin/dashboard.html",
            store,
            numbers=numbers,
            charts=charts,
            days=days,
            periods=PERIODS,
            window=journey_config.parse(store.journey).attribution_days,
            since=numbers.days[0],
            until=numbers.days[-1],
            timedelta=timedelta,
            times=delivery_stats.by_carrier(db, store, days),
            tt=tracking_words.translator(lang, t),
            reviews=review_figures.collect(db, store, days, earned=numbers),
        )
