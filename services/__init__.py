"""Use cases: what a person or a machine asks the product to do, in one place each.

``api/`` (HTTP for machines) and ``callbacks/`` (the Dash screens) are adapters: they parse the request, name
the caller's scope and call one function here. A use case combines the rules (``enforcement/``, pure) with the
data (``geo_data/``, SQL) and decides what happens; nothing here imports Dash, and only ``container`` asks Flask
which app serves the request. ``container`` holds what the use cases need at run time (pools, settings, the job
queue), built once by the composition root (``app.py``); ``transactions`` runs a use case in one transaction.
"""
