"""A store's own sending domain: the DKIM key pair we make for it, the DNS records it must publish
(DKIM, an SPF include for the relay, DMARC), and a check of those records by DNS lookup (dnspython)
that says which one is missing or wrong. Mail goes From the domain only once all three are right:
that is the 2024 Gmail/Yahoo bar for bulk senders (aligned DKIM, SPF, a DMARC record; the one-click
unsubscribe is on every message already)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import dns.exception
import dns.resolver
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import channel_settings, clock
from app.config import Settings
from app.models import SendingDomain, Store
from channels.smtp import dkim, email_address

SELECTOR = "aftercare1"
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class DomainProblem(ValueError):
    """The address cannot be authenticated (a sentence for the page)."""


@dataclass(frozen=True)
class Record:
    """One DNS record the merchant adds, and what the last check found."""

    purpose: str  # dkim | spf | dmarc
    name: str
    type: str
    value: str
    status: str = "unchecked"  # ok | missing | wrong | unchecked
    found: str = ""


def records(settings: Settings, row: SendingDomain) -> list[Record]:
    dmarc = "v=DMARC1; p=none; adkim=r; aspf=r"
    if settings.dmarc_report_address:
        dmarc += f"; rua=mailto:{settings.dmarc_report_address}"
    return [
        Record("dkim", f"{row.selector}._domainkey.{row.domain}", "TXT", dkim.record(row.public_key)),
        Record("spf", row.domain, "TXT", f"v=spf1 include:{settings.spf_domain} ~all"),
        Record("dmarc", f"_dmarc.{row.domain}", "TXT", dmarc),
    ]


def current(session: Session, store: Store) -> SendingDomain | None:
    return session.scalars(
        select(SendingDomain).where(SendingDomain.store_id == store.id).order_by(SendingDomain.id.desc())
    ).first()


def start(session: Session, store: Store, address: str) -> SendingDomain:
    """Authenticate the domain of ``address`` (the store's own From address): a new key pair, once."""
    try:
        normalized = email_address(address.strip()) or ""
    except ValueError as exc:
        raise DomainProblem(str(exc)) from exc
    domain = normalized.rpartition("@")[2].lower()
    if not DOMAIN.match(domain):
        raise DomainProblem("Enter an address at your own domain, such as hello@your-shop.com.")
    existing = session.scalars(
        select(SendingDomain).where(SendingDomain.store_id == store.id, SendingDomain.domain == domain)
    ).first()
    if existing is not None:
        existing.from_email = normalized
        channel_settings.forget(session, store.id)
        return existing
    private, public = dkim.new_key()
    row = SendingDomain(
        store_id=store.id,
        domain=domain,
        from_email=normalized,
        selector=SELECTOR,
        private_key=private,
        public_key=public,
        problems="",
    )
    session.add(row)
    session.flush()
    return row


def resolver(settings: Settings) -> dns.resolver.Resolver:
    """The system's resolver, or the ``dns_servers`` configured (tests: one on loopback)."""
    if not settings.dns_servers:
        return dns.resolver.Resolver()
    found = dns.resolver.Resolver(configure=False)
    host, _, port = settings.dns_servers[0].partition(":")
    found.nameservers = [host.strip("[]")] + [s.partition(":")[0] for s in settings.dns_servers[1:]]
    found.port = int(port) if port else 53
    found.lifetime = 10.0
    return found


def _txt(lookup: dns.resolver.Resolver, name: str) -> list[str] | None:
    """The TXT strings at ``name`` (each record's parts joined), [] when none, None when DNS failed."""
    try:
        answer = lookup.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException:
        return None
    return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]


def _tags(value: str) -> dict[str, str]:
    tags = {}
    for part in value.split(";"):
        key, _, tag = part.strip().partition("=")
        if key:
            tags[key.strip().lower()] = re.sub(r"\s+", "", tag)
    return tags


def check(settings: Settings, session: Session, row: SendingDomain) -> list[Record]:
    """Look every record up and keep the verdict; the domain is verified when all are right."""
    lookup = resolver(settings)
    checked = []
    for record in records(settings, row):
        found = _txt(lookup, record.name)
        if found is None:
            checked.append(_with(record, "missing", "the DNS lookup failed; try again in a minute"))
            continue
        if record.purpose == "dkim":
            keys = [
                value for value in found if _tags(value).get("v", "DKIM1") == "DKIM1" and "p" in _tags(value)
            ]
            if not keys:
                checked.append(_with(record, "missing"))
            elif any(_tags(value)["p"] == row.public_key for value in keys):
                checked.append(_with(record, "ok", keys[0]))
            else:
                checked.append(_with(record, "wrong", keys[0]))
        elif record.purpose == "spf":
            spf = [value for value in found if value.lower().startswith("v=spf1")]
            if not spf:
                checked.append(_with(record, "missing"))
            elif len(spf) > 1:
                checked.append(_with(record, "wrong", " | ".join(spf)))
            elif f"include:{settings.spf_domain}".lower() in spf[0].lower().split():
                checked.append(_with(record, "ok", spf[0]))
            else:
                checked.append(_with(record, "wrong", spf[0]))
        else:
            dmarc = [value for value in found if _tags(value).get("v", "").upper() == "DMARC1"]
            if not dmarc:
                checked.append(_with(record, "missing"))
            elif "p" not in _tags(dmarc[0]):
                checked.append(_with(record, "wrong", dmarc[0]))
            else:
                checked.append(_with(record, "ok", dmarc[0]))
    now = clock.now()
    row.checked_at = now
    row.problems = json.dumps([asdict(record) for record in checked])
    row.verified_at = (row.verified_at or now) if all(r.status == "ok" for r in checked) else None
    channel_settings.forget(session, row.store_id)
    return checked


def last_check(settings: Settings, row: SendingDomain) -> list[Record]:
    """The records with what the last check found (unchecked before the first)."""
    try:
        saved = {item["purpose"]: item for item in json.loads(row.problems or "[]")}
    except ValueError:
        saved = {}
    result = []
    for record in records(settings, row):
        item = saved.get(record.purpose)
        result.append(_with(record, item["status"], item.get("found", "")) if item else record)
    return result


def _with(record: Record, status: str, found: str = "") -> Record:
    return Record(record.purpose, record.name, record.type, record.value, status, found)
