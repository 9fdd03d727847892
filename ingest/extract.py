"""Text extraction per file format, into sections that carry where they came from.

A Section is a run of paragraphs under one heading (Markdown, HTML) or on one page (PDF);
chunks never cross a section, so each document's `meta` names its heading or page exactly.
Extractors raise Unreadable with the reason when a file cannot be read as its type.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List


class Unreadable(Exception):
    """The file cannot be read as its type; the message is the reason the report lists."""


@dataclass
class Section:
    paragraphs: List[str]
    meta: Dict[str, object] = field(default_factory=dict)


# Zero-width and other format characters, and control characters other than newline/tab.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]|[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """One paragraph: NFKC-normalised, invisible characters removed, whitespace collapsed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _SPACES.sub(" ", text).strip()


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot open: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (invalid byte at offset {exc.start})") from None


def paragraphs_of(text: str) -> List[str]:
    """Blank-line separated paragraphs, each cleaned (line breaks inside become spaces)."""
    return [p for p in (clean(b) for b in re.split(r"\n\s*\n", text)) if p]


def extract_txt(path: Path) -> List[Section]:
    return [Section(paragraphs_of(read_text(path)))]


def extract_md(path: Path) -> List[Section]:
    """Headings start sections (meta `heading`: the heading path, "A > B"); code blocks and
    raw HTML blocks are left out (not prose); inline markup is reduced to its text."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(read_text(path))
    sections: List[Section] = [Section([])]
    trail: List[tuple] = []  # (level, heading text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            title = clean(_inline_text(tokens[i + 1]))
            trail = [t for t in trail if t[0] < level] + [(level, title)]
            sections.append(Section([], {"heading": " > ".join(t for _, t in trail)}))
            i += 3
            continue
        if tok.type == "inline":
            para = clean(_inline_text(tok))
            if para:
                sections[-1].paragraphs.append(para)
        i += 1
    return [s for s in sections if s.paragraphs]


def _inline_text(tok) -> str:
    parts = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


_BLOCKS = ["p", "div", "li", "blockquote", "pre", "td", "th", "dd", "dt", "tr", "br", "section",
           "article", "figcaption", "caption", "table", "ul", "ol", "dl", "main", "body"]
_DROP = ["script", "style", "noscript", "template", "nav", "head", "svg", "form", "button"]
_BREAK, _HEAD = "\x01", "\x02"


def extract_html(path: Path) -> List[Section]:
    """Visible text by block element; h1-h6 start sections (meta `heading`: the heading path)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(read_text(path), "html.parser")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        tag.replace_with(f"{_BREAK}{_HEAD}{tag.name[1]}{_HEAD}{tag.get_text(' ')}{_BREAK}")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_after(_BREAK)
    sections: List[Section] = [Section([])]
    trail: List[tuple] = []
    for block in soup.get_text().split(_BREAK):
        if block.startswith(_HEAD):
            _, level, title = block.split(_HEAD, 2)
            trail = [t for t in trail if t[0] < int(level)] + [(int(level), clean(title))]
            sections.append(Section([], {"heading": " > ".join(t for _, t in trail if t)}))
            continue
        para = clean(block)
        if para:
            sections[-1].paragraphs.append(para)
    return [s for s in sections if s.paragraphs]


def extract_pdf(path: Path) -> List[Section]:
    """One section per page (meta `page`, 1-based); hyphenated line ends are rejoined."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise Unreadable("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise Unreadable(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    sections = []
    for n, text in enumerate(pages, 1):
        text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
        paras = paragraphs_of(text)
        if paras:
            sections.append(Section(paras, {"page": n}))
    return sections


EXTRACTORS: Dict[str, Callable[[Path], List[Section]]] = {
    ".txt": extract_txt, ".md": extract_md, ".markdown": extract_md,
    ".html": extract_html, ".htm": extract_html, ".pdf": extract_pdf,
}
