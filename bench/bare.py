"""The baseline for ``bench.ingest``: a bare Flask POST endpoint under the same gunicorn settings, reading
the body and answering as small a JSON as ours. ``gunicorn bench.bare:app``."""

from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[dict[str, object], int]:
    request.get_data(cache=False)
    return {"ok": True}, 200
