"""Tracking sources beside the platforms: an aggregator (AfterShip) and carriers asked directly
(Aramex, DHL Express). One folder a source, the same shape for each (``client.py`` the API,
``translate.py`` its status words onto our parcel statuses, ``webhooks.py`` where the source signs
what it pushes, ``__init__.py`` the source itself with its declared capabilities). Like the
connectors they are pure: they call the source's API and translate, and never touch the database;
``app/parcels/`` is what connects them to parcels."""
