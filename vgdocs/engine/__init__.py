"""The numpy laboratory: activations, initialisers, nets, losses, optimisers, training, data, theory.

Knows nothing of the site: it imports nothing from `vgdocs.experiments` or `vgdocs.publish`.
"""
