"""Parcels followed beyond their platform: tracking sources' reports merged into each parcel's one
history (``merge``), the worker's polling and registering (``follow``), silent parcels reported as
"no movement" (``stalls``), delivery estimates learned from the store's own history (``estimate``),
and the merchant's accounts at the sources (``accounts``)."""
