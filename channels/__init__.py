"""The sending layer: one folder per channel (``channels/<name>/``), each of the shape in
``channels.base``, listed once in ``channels.registry``. Used by the worker and the web alike."""
