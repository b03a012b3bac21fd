"""The frame of a self-contained HTML report: escaping, the page, sections, tables, the style sheet.

Everything a page needs is inline (CSS and SVG); it loads nothing and runs no script, so it opens
the same from a mail attachment, a CI artifact or a printer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from gosupr._version import __version__

CSS = """
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--red:#d62728;--amber:#f28e00;--green:#2ca02c}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:"DejaVu Sans","Segoe UI",Arial,sans-serif;color:var(--ink);background:#fff;margin:0 auto;
 max-width:1400px;padding:24px 32px 40px;font-size:15px;line-height:1.45}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:18px 0 8px}
p{margin:6px 0}
.sub,.note{color:var(--muted)}
.note{font-size:13px}
nav{margin:10px 0 4px;font-size:14px}
nav a{color:#0550ae;margin-right:14px;text-decoration:none}
.headline{background:#fff8e1;border-left:6px solid #f2a900;padding:12px 16px;font-size:17px;font-weight:600;margin:12px 0}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:160px;background:var(--soft)}
.tile b{display:block;font-size:22px;white-space:nowrap}
.tile span{color:var(--muted);font-size:13px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px;max-width:100%}
th,td{border:1px solid var(--line);padding:5px 9px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.kv th{width:auto;white-space:nowrap}
tr.sev-high td:first-child{box-shadow:inset 5px 0 0 var(--red)}
tr.sev-medium td:first-child{box-shadow:inset 5px 0 0 var(--amber)}
tr.sev-low td:first-child{box-shadow:inset 5px 0 0 #bbb}
td.msg{min-width:320px;max-width:560px}
.good{color:#1a7f37}.bad{color:#cf222e}
.diagrams{display:grid;gap:16px;grid-template-columns:1fr}
.diagrams.side{grid-template-columns:1fr 1fr}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px;background:#fff;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:6px}
figure svg{display:block;max-width:100%;height:auto}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:0 32px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media (max-width:1000px){.diagrams.side,.grid2{grid-template-columns:1fr}body{padding:12px}}
@media print{
 @page{size:A4 landscape;margin:12mm}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{max-width:none;padding:0;font-size:10pt}
 nav{display:none}
 h2{break-after:avoid}
 figure,.tile,tr{break-inside:avoid}
 figure{overflow:visible;border:none;padding:0}
 figure svg{min-width:0!important}
 .diagrams.side,.grid2{grid-template-columns:1fr}
}
"""

# the browser itself refuses any script or fetch that might slip in: the page is only what it holds
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_NUMERIC = re.compile(r"^[≥+\-−]?\s*[\d.,  ]+\s*(%|п\.п\.|pp|s|min|h|d|с|мин|ч|дн)?$")


def esc(v: object) -> str:
    return escape(str(v), quote=True)


def _cell(v: object, tag: str = "td", extra: str = "") -> str:
    s = str(v)
    cls = " ".join(c for c in (extra, "num" if _NUMERIC.match(s.strip()) else "") if c)
    return f"<{tag}{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}>{esc(s)}</{tag}>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, row_classes: Sequence[str] | None = None,
          cell_classes: dict[int, str] | None = None, caption: str | None = None) -> str:
    """A data table; numbers (counts, shares, durations) right-aligned by their look."""
    cell_classes = cell_classes or {}
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        cls = row_classes[i] if row_classes and i < len(row_classes) and row_classes[i] else ""
        tds = "".join(_cell(v, extra=cell_classes.get(j, "")) for j, v in enumerate(r))
        body.append(f"<tr{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}>{tds}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kv_table(rows: Iterable[Sequence[object]]) -> str:
    """Two columns, the name as a row header."""
    body = "".join(f"<tr><th scope=\"row\">{esc(k)}</th>{_cell(v)}</tr>" for k, v in rows)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>\n{body}\n</section>'


def tiles(items: Iterable[tuple[str, str]]) -> str:
    """Key numbers: (value, words) pairs."""
    return '<div class="tiles">' + "".join(f'<div class="tile"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for v, k in items) + "</div>"


def inline_svg(svg: str) -> str:
    """An SVG document as an element of the HTML page (the HTML parser supplies the namespace)."""
    s = svg.strip()
    if s.startswith("<?xml"):
        s = s[s.index("?>") + 2 :].lstrip()
    return s.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)


def page(*, title: str, lang: str, heading: str, subtitle: str, nav: Sequence[tuple[str, str]], body: Sequence[str]) -> str:
    """The whole document: UTF-8, language set, style inline, no script, no timestamp."""
    from gosupr._pm4py import version

    links = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in nav)
    made = "Отчёт создан" if lang == "ru" else "Made by"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="gosupr {esc(__version__)}">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{esc(heading)}</h1><p class=\"sub\">{esc(subtitle)}</p>"
        + (f"<nav>{links}</nav>" if links else "")
        + "</header>\n<main>\n"
        + "\n".join(b for b in body if b)
        + f"\n</main>\n<footer>{made} gosupr {esc(__version__)} · pm4py {esc(version())}</footer>\n</body>\n</html>\n"
    )
