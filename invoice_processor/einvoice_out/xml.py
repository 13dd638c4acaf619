"""Writing the XML of either syntax: child elements named by a prefix of the syntax's namespaces."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from lxml import etree

SubElement = Callable[..., etree._Element]


def element_writer(namespaces: dict[str, str]) -> SubElement:
    """sub(parent, "prefix:Name", text=None, **attributes): the new child element, its prefix one of namespaces'."""
    return partial(_sub, namespaces)


def _sub(
    namespaces: dict[str, str], parent: etree._Element, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{namespaces[prefix]}}}{local}", attributes)
    if text is not None:
        element.text = text
    return element
