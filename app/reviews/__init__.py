"""Reviews: ratings collected in one click from our messages, the hosted review page, moderation, and
publishing back to the store.

``links`` signs the per-item links; ``collect`` records a rating or a review and what follows from it
(reminders stop, a low rating alerts the merchant and pauses marketing); ``text`` and ``photos`` make
what a customer sent safe to keep and show; ``moderate`` is the merchant's (and the auto-publish
rule's) say; ``publish`` is the worker's job that keeps the store in step and sends the thank-you
codes; ``storefront`` is what the Shopify theme block reads; ``nps`` the check-in's 0-10 question;
``figures`` the dashboard's numbers.
"""
