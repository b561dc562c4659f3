"""Markdown extension that changes no Markdown: it defers loading the notebook converter until used.

mkdocs-jupyter imports nbconvert (through its `convert` module) and jupytext when MkDocs loads the
plugin, about half a second of every build, although a build whose notebooks come from the cache
(building.py keys that cache by the vgdocs sources) never converts one. MkDocs loads the Markdown
extensions before the plugins, so this module, listed among `markdown_extensions` in mkdocs.yml,
puts a stand-in for both modules in sys.modules first: the plugin's `import jupytext` and
`from . import convert` bind the stand-ins, which import the real module on first attribute use
(a notebook that must be executed, a page that needs jupytext) and pass every attribute through.
(importlib's LazyLoader would not do: on Python 3.11 the `import` statement itself reads the
module's __spec__ and so loads it.) Nothing else changes: same modules, same code, loaded later
or never. Without this line in mkdocs.yml everything works, just slower.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from markdown.extensions import Extension

__all__ = ["LAZY", "Deferred", "LazyNotebooksExtension", "defer", "makeExtension"]

LAZY = ("mkdocs_jupyter.convert", "jupytext")


class Deferred(types.ModuleType):
    """Stands in sys.modules for a module not imported yet; the first attribute read imports it."""

    def __getattr__(self, attr: str):  # only reached for names the stand-in does not hold itself
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # import machinery and introspection probing: not a use
        real = sys.modules.get(self.__name__)
        if real is None or real is self:
            sys.modules.pop(self.__name__, None)
            real = importlib.import_module(self.__name__)
        return getattr(real, attr)


def defer(name: str) -> bool:
    """Put a stand-in for `name` in sys.modules; False when it is already imported or not installed."""
    if name in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    stand_in = Deferred(name)
    stand_in.__spec__ = spec  # what the import statement reads (spec._initializing is unset: not loading)
    stand_in.__file__ = spec.origin
    sys.modules[name] = stand_in
    return True


class LazyNotebooksExtension(Extension):
    """Registers nothing with Markdown; importing the module did the work."""

    def extendMarkdown(self, md) -> None:
        return None


def makeExtension(**kwargs) -> LazyNotebooksExtension:
    return LazyNotebooksExtension(**kwargs)


for _name in LAZY:
    defer(_name)
