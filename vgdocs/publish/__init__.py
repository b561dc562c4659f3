"""Publishing: present Results (tables, figures, sentences), the ledger, the build cache, site glue.

Knows nothing of training: it imports nothing from `vgdocs.experiments`.
"""
