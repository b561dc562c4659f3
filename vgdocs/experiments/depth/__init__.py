"""Deeper chapters (issue 12): where initialisers come from, training-time diagnostics, modern blocks."""
