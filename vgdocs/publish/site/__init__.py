"""mkdocs hooks and build-time helpers for the site (math to MathML, notebook pages, ledger, cache)."""
