"""Prose that quotes a Result: `template.format(**fields)` with numbers in the house format."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from typing import Any

import numpy as np

from vgdocs.publish import claims, ledger
from vgdocs.publish.present._publish import publish_quoted
from vgdocs.publish.present.numbers import fmt, is_number

__all__ = ["claim", "prose", "sentence"]


def sentence(obj: object, template: str) -> str:
    """`template` filled from `obj`'s dataclass fields ('{ratio}' -> fmt(ratio), '{ratio:.1%}' as asked).

    Fields can be indexed or followed: '{norms[0]}', '{norms[-1]}', '{history.final_loss}'. Publishes the
    numbers it quotes, keyed by their path ('norms[9]' for '{norms[-1]}' of ten norms).
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"obj must be a Result (a dataclass instance); got {type(obj).__name__}")
    if not isinstance(template, str):
        raise TypeError(f"template must be a str; got {type(template).__name__}")
    quoted: dict[str, float] = {}
    fields = {f.name: _Quoted(getattr(obj, f.name), f.name, quoted) for f in dataclasses.fields(obj)}
    try:
        text = template.format(**fields)
    except KeyError as exc:
        raise ValueError(
            f"template names {exc.args[0]!r}, which is not a field of {type(obj).__name__}; fields are {sorted(fields)}"
        ) from None
    except IndexError:
        raise ValueError(
            f"template must name fields, e.g. '{{{next(iter(fields), 'field')}}}'; got {template!r}"
        ) from None
    publish_quoted(obj, quoted)
    return text


_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
_PLACEHOLDER = re.compile(
    r"\{(?:claim:(?P<claim>[\w.-]+)|(?P<path>[A-Za-z_]\w*(?:\[-?\d+\]|\.[A-Za-z_]\w*)*)(?::(?P<spec>[^{}\n]*))?)\}"
)
_STEP = re.compile(r"\[(-?\d+)\]|\.([A-Za-z_]\w*)")


def prose(obj: object, text: str) -> str:
    """Markdown `text` with named placeholders filled from Result `obj`: write prose, not Python strings.

    `{field}`, `{field[-1]}`, `{field.sub}` print a number in the house format, `{field:.2g}` as asked;
    `{claim:ID}` prints claim ID of `obj` (checked and filed exactly as `claim(obj, ID)`). Any other
    brace is left as written, and math (`$...$`, `$$...$$`) is never touched, so LaTeX needs no
    escaping; in a raw string (`r\"\"\"...\"\"\"`) backslashes need no doubling either. The text is
    dedented and stripped, so it can be indented inside the block. Publishes every number it prints.
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"obj must be a Result (a dataclass instance); got {type(obj).__name__}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    names = [f.name for f in dataclasses.fields(obj)]
    quoted: dict[str, float] = {}

    def fill(m: re.Match[str]) -> str:
        if m["claim"]:
            return claim(obj, m["claim"])
        head = m["path"].split(".", 1)[0].split("[", 1)[0]
        if head not in names:
            raise ValueError(
                f"placeholder {m[0]!r} names {head!r}, which is not a field of {type(obj).__name__}; "
                f"fields are {sorted(names)}"
            )
        value = _Quoted(getattr(obj, head), head, quoted)
        for index, attr in _STEP.findall(m["path"][len(head) :]):
            value = value[int(index)] if attr == "" else getattr(value, attr)
        return format(value, m["spec"] or "")

    parts, last = [], 0
    body = textwrap.dedent(text).strip()
    for math in _MATH.finditer(body):
        parts += [_PLACEHOLDER.sub(fill, body[last : math.start()]), math[0]]
        last = math.end()
    parts.append(_PLACEHOLDER.sub(fill, body[last:]))
    publish_quoted(obj, quoted)
    return "".join(parts)


class _Quoted:
    """A field value that formats numbers with `fmt` unless the template gives a format spec."""

    __slots__ = ("path", "sink", "value")

    def __init__(self, value: Any, path: str = "", sink: dict[str, float] | None = None) -> None:
        self.value, self.path, self.sink = value, path, sink

    def __format__(self, spec: str) -> str:
        if self.value is None:
            return "—"
        if self.sink is not None and (is_number(self.value) or isinstance(self.value, (bool, np.bool_))):
            self.sink[self.path] = float(self.value)
        if spec == "" and (is_number(self.value) or isinstance(self.value, (bool, np.bool_))):
            return fmt(self.value)
        return format(self.value, spec)

    def __str__(self) -> str:
        return self.__format__("")

    def __getitem__(self, key: Any) -> _Quoted:
        # str.format passes '{x[-1]}' as the string '-1'; index from the end as Python would.
        if isinstance(key, str) and key.startswith("-") and key[1:].isdigit():
            key = int(key)
        if isinstance(key, int) and key < 0 and hasattr(self.value, "__len__"):
            key += len(self.value)
        return _Quoted(self.value[key], f"{self.path}[{key}]", self.sink)

    def __getattr__(self, name: str) -> _Quoted:
        return _Quoted(getattr(self.value, name), f"{self.path}.{name}", self.sink)


def claim(obj: object, claim_id: str) -> str:
    """The sentence of claim `claim_id` of Result `obj` (from `obj.claims()`), evidence filled in.

    Publishes the evidence and the verdict (`claim[id].holds`, 1 or 0) to the ledger and files the
    claim for the page, so a claim that stops holding fails the strict build (see `vgdocs.publish.claims`).
    """
    make = getattr(obj, "claims", None)
    if not callable(make):
        raise TypeError(f"obj must be a Result with a .claims() method; got {type(obj).__name__}")
    found = {c.id: c for c in make()}
    if claim_id not in found:
        raise ValueError(
            f"claim_id {claim_id!r} is not a claim of {type(obj).__name__}; its claims are {sorted(found)}"
        )
    c = found[claim_id]
    try:
        text = c.text.format(**{k: _Quoted(v) for k, v in c.evidence.items()})
    except KeyError as exc:
        raise ValueError(
            f"claim {claim_id!r} names {exc.args[0]!r}, which is not in its evidence {sorted(c.evidence)}"
        ) from None
    experiment = getattr(obj, "experiment", "") or type(obj).__name__
    numbers = {f"claim[{c.id}].{k}": v for k, v in c.evidence.items()}
    numbers[f"claim[{c.id}].holds"] = 1.0 if c.holds else 0.0
    ledger.publish(obj, numbers)
    claims.file(ledger.current_page(), experiment, c, text)
    return text
