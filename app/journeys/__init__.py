"""Journeys: which messages an order should get, and when.

``steps`` is the catalogue with its defaults, ``planner`` the pure decision function, ``schedule``
the bridge that turns decisions into outbox rows and asks again before each send.
"""
