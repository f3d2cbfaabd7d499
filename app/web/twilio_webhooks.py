"""Where Twilio tells us a customer wrote to the store's number: ``POST /webhooks/twilio/<store id>``,
the address the Sending page shows the merchant to paste as the number's (and the WhatsApp sender's)
"A message comes in" webhook.

Order of work, each refusal a 4xx that writes nothing: an unknown store, or one with no Twilio channel
set up, 404; no ``X-Twilio-Signature`` or one that is not Twilio's under the store's Auth Token, 403
(the signature covers the address Twilio called, which is ours as ``public_url`` names it, so it is
checked against that, not against whatever a proxy in front passed on); a POST that is not an incoming
message, 400. Only then is it kept (``app.replies``) and answered with empty TwiML, so Twilio sends
no reply of its own.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request

from app import channel_settings, replies
from app.models import Store
from app.web import current_services
from channels.sms import SmsSettings
from channels.twilio_api import TwilioSettings
from channels.twilio_inbound import SIGNATURE_HEADER, NotAMessage, read, signed
from channels.whatsapp import WhatsAppSettings

bp = Blueprint("twilio_webhooks", __name__)
log = logging.getLogger(__name__)
PATH = "/webhooks/twilio/<int:store_id>"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def address(public_url: str, store_id: int) -> str:
    """The webhook address of a store, as the merchant pastes it into Twilio."""
    return f"{public_url.rstrip('/')}/webhooks/twilio/{store_id}"


@bp.post(PATH)
def receive(store_id: int) -> Response:
    services = current_services()
    called = f"{services.settings.public_url.rstrip('/')}{request.path}"
    if request.query_string:
        called += "?" + request.query_string.decode("latin-1")
    with services.db.session() as session:
        store = session.get(Store, store_id)
        if store is None:
            abort(404, description="unknown store")
        context = channel_settings.context(session, store)
        accounts: dict[str, TwilioSettings] = {
            name: found
            for name, kind in (("sms", SmsSettings), ("whatsapp", WhatsAppSettings))
            if (found := context.of(name, kind)) is not None
        }
        if not accounts:
            abort(404, description="this store has no Twilio number set up")
        tokens = {settings.auth_token for settings in accounts.values()}
        if not signed(tokens, called, request.form, request.headers.get(SIGNATURE_HEADER)):
            abort(403, description="the X-Twilio-Signature is missing or is not Twilio's for this store")
        try:
            inbound = read(request.form)
        except NotAMessage as exc:
            abort(400, description=str(exc))
        ours = accounts.get(inbound.channel)
        if ours is None or ours.number != inbound.to:
            # Signed by the store's account, but to a number or sender the store does not send from
            # here: its window is not the one our messages need.
            log.info("store %s: an incoming %s to %s, not its sender", store_id, inbound.channel, inbound.to)
        else:
            replies.record(session, store, inbound)
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")
