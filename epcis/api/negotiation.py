"""Content negotiation that honours the quality values of `Accept` (RFC 9110 §12.5.1).

DRF's DefaultContentNegotiation orders the client's media ranges by specificity only and
ignores `q`, so `Accept: application/xml, application/json;q=0.5` got JSON. Here:

- each representation on offer takes the q of the most specific range that matches it
  (`application/json` before `application/*` before `*/*`); a range's parameters other
  than q make it more specific but do not stop it matching;
- the representation with the highest q wins; `q=0` means "not acceptable";
- ties keep the view's order of renderers (the server's preference);
- nothing acceptable is a 406 that lists the media types on offer.

python-mimeparse does the same arithmetic but breaks ties the other way (the last offer and
the more specific match win), and could not list the offers in the 406, so this is ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.http import parse_header_parameters
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

MediaRange = tuple[str, str, int, float]  # type, subtype, specificity, q


class QualityContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation (parsers, the bounded reading of `Accept`), choosing by q."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        if format_suffix:
            renderers = self.filter_renderers(renderers, format_suffix)
        tokens = self.get_accept_list(request) or ["*/*"]  # an empty Accept is no Accept
        ranges = [parsed for token in tokens if (parsed := _range(token))]
        best: tuple[float, BaseRenderer] | None = None
        for renderer in renderers:
            quality = _quality(str(renderer.media_type), ranges)
            if quality > 0 and (best is None or quality > best[0]):
                best = (quality, renderer)
        if best is None:
            offered = ", ".join(str(renderer.media_type) for renderer in renderers)
            raise exceptions.NotAcceptable(
                f"None of the media types in Accept is on offer here; use one of: {offered}."
            )
        return best[1], str(best[1].media_type)


def _range(token: str) -> MediaRange | None:
    """`type/subtype;params;q=x` read, or None when malformed (the range is then ignored)."""
    try:
        full_type, params = parse_header_parameters(token)
        quality = float(params.pop("q", "1"))
    except ValueError:
        return None
    main, _, sub = full_type.partition("/")
    if not main or not sub or (main == "*" and sub != "*") or not 0 <= quality <= 1:
        return None
    specificity = 0 if main == "*" else 1 if sub == "*" else 3 if params else 2
    return main, sub, specificity, quality


def _quality(media_type: str, ranges: list[MediaRange]) -> float:
    """The q of the most specific range matching `media_type` (0 when none does); of equally
    specific ranges, the first."""
    main, _, sub = media_type.partition("/")
    matching = [
        (specificity, -index, quality)
        for index, (r_main, r_sub, specificity, quality) in enumerate(ranges)
        if r_main in ("*", main) and r_sub in ("*", sub)
    ]
    return max(matching)[2] if matching else 0.0
