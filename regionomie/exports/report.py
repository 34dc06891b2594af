"""Self-contained HTML report: the region's challenges, an inline-SVG map of the top cases (no
internet tiles, no scripts), the business cases and the worked-out cards. Deterministic."""

from __future__ import annotations

import datetime as dt
import html
import math
from typing import Any

import pandas as pd

from regionomie.domain.opportunities.cases import best_per_producer

CSS = """
body{font-family:Segoe UI,Arial,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{color:#1F4E78}h2{color:#1F4E78;border-bottom:2px solid #1F4E78;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.9em}
th{background:#1F4E78;color:#fff;text-align:left;padding:.4em}
td{border-bottom:1px solid #ddd;padding:.35em;vertical-align:top}
.card{border:1px solid #1F4E78;border-radius:6px;padding:1em;margin:1em 0;background:#f7fafd}
.sev{display:inline-block;height:.8em;background:#c0392b}
.muted{color:#666;font-size:.85em}
.notice{background:#fff3cd;border:1px solid #e0c060;padding:.5em .8em}
svg{border:1px solid #ccc;background:#fbfbf8}
"""

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, digits: int = 0) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(number):
        return ""
    return f"{number:,.{digits}f}".replace(",", " ")


def _table(df: pd.DataFrame, columns: list[tuple[str, str, int | None]]) -> str:
    head = "".join(f"<th>{_e(title)}</th>" for _, title, _ in columns)
    rows = []
    for row in df.itertuples(index=False):
        cells = []
        for name, _, digits in columns:
            value = getattr(row, name)
            cells.append(f"<td>{_num(value, digits) if digits is not None else _e(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render_map_svg(
    candidates: pd.DataFrame,
    cases: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    width: int = 900,
    height: int = 600,
    top: int = 5,
) -> str:
    """Lines producer -> receiver for the best candidates of the top cases, actors as dots,
    municipality names at their centroids; equirectangular projection, no external tiles."""
    if cases is None or cases.empty or candidates is None or candidates.empty:
        return "<p class='muted'>Geen kaart: geen business cases.</p>"
    best = best_per_producer(candidates)
    lines = []
    for i, case in enumerate(cases.head(top).itertuples(index=False)):
        members = best[best["pathway_id"] == case.pathway_id]
        lines.append((i, case, members))
    pts = pd.concat(
        [
            pd.DataFrame(
                {
                    "lat": pd.concat([m["producer_lat"], m["receiver_lat"]]),
                    "lon": pd.concat([m["producer_lon"], m["receiver_lon"]]),
                }
            )
            for _, _, m in lines
        ]
    ).dropna()
    if pts.empty:
        return "<p class='muted'>Geen kaart: geen coördinaten.</p>"
    lat0, lat1 = float(pts["lat"].min()), float(pts["lat"].max())
    lon0, lon1 = float(pts["lon"].min()), float(pts["lon"].max())
    pad_lat = max((lat1 - lat0) * 0.08, 0.01)
    pad_lon = max((lon1 - lon0) * 0.08, 0.01)
    lat0, lat1, lon0, lon1 = lat0 - pad_lat, lat1 + pad_lat, lon0 - pad_lon, lon1 + pad_lon
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    span_x, span_y = (lon1 - lon0) * kx, lat1 - lat0
    scale = min((width - 20) / span_x, (height - 20) / span_y)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (
            round(10 + (lon - lon0) * kx * scale, 1),
            round(height - 10 - (lat - lat0) * scale, 1),
        )

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='Kaart van de top business cases'>"
    ]
    if municipalities is not None and not municipalities.empty:
        mun = municipalities.sort_values("municipality_code")
        for row in mun.itertuples(index=False):
            lat, lon = float(row.lat), float(row.lon)
            if not (lat0 <= lat <= lat1 and lon0 <= lon <= lon1):
                continue
            x, y = xy(lat, lon)
            parts.append(
                f"<text x='{x}' y='{y}' font-size='13' fill='#999' text-anchor='middle'>"
                f"{_e(row.name)}</text>"
            )
    for i, _case, members in lines:
        colour = PALETTE[i % len(PALETTE)]
        for row in members.sort_values("candidate_id").itertuples(index=False):
            values = [row.producer_lat, row.producer_lon, row.receiver_lat, row.receiver_lon]
            if any(pd.isna(v) for v in values):
                continue
            x1, y1 = xy(float(row.producer_lat), float(row.producer_lon))
            x2, y2 = xy(float(row.receiver_lat), float(row.receiver_lon))
            dash = " stroke-dasharray='4 3'" if row.receiver_kind == "sector" else ""
            parts.append(
                f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{colour}' "
                f"stroke-width='1.5' opacity='0.7'{dash}/>"
            )
            parts.append(f"<circle cx='{x1}' cy='{y1}' r='3' fill='{colour}'/>")
            shape = (
                f"<rect x='{x2 - 5}' y='{y2 - 5}' width='10' height='10' fill='white' "
                f"stroke='{colour}' stroke-width='2'/>"
                if row.receiver_kind == "sector"
                else f"<circle cx='{x2}' cy='{y2}' r='6' fill='white' stroke='{colour}' "
                "stroke-width='2'/>"
            )
            parts.append(shape)
    for i, case, _ in lines:
        colour = PALETTE[i % len(PALETTE)]
        y = 20 + 18 * i
        parts.append(f"<rect x='12' y='{y - 10}' width='12' height='12' fill='{colour}'/>")
        parts.append(f"<text x='30' y='{y}' font-size='12'>{_e(case.name)}</text>")
    parts.append(
        f"<text x='{width - 10}' y='{height - 8}' font-size='10' fill='#666' "
        "text-anchor='end'>stip = leverancier, open cirkel = afnemer, "
        "vierkant/stippellijn = start-up</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _challenges_html(challenges: pd.DataFrame, names: dict[str, str]) -> str:
    """Municipality x challenge matrix: the value, shaded by severity (darker = worse)."""
    if challenges is None or challenges.empty:
        return "<p class='muted'>Geen CBS-indicatoren beschikbaar voor deze regio.</p>"
    labels = challenges.drop_duplicates("challenge_id").set_index("challenge_id")["label"].to_dict()
    order = sorted(labels)
    head = "<tr><th>Gemeente</th>" + "".join(f"<th>{_e(labels[c])}</th>" for c in order)
    head += "</tr>"
    rows = []
    by_mun = {
        code: grp.set_index("challenge_id")
        for code, grp in challenges.groupby("municipality_code", sort=True)
    }
    for code in sorted(by_mun, key=lambda c: (names.get(c, c), c)):
        grp = by_mun[code]
        cells = []
        for challenge in order:
            if challenge not in grp.index:
                cells.append("<td></td>")
                continue
            row = grp.loc[challenge]
            sev = float(row["severity"]) if pd.notna(row["severity"]) else 0.0
            alpha = round(0.1 + 0.8 * sev, 2)
            digits = 1 if abs(float(row["value"])) >= 10 else 4
            cells.append(
                f"<td style='background:rgba(192,57,43,{alpha})' title='ernst {sev:.2f}, "
                f"Nederland {_num(row.get('national_value'), digits)}'>"
                f"{_num(row['value'], digits)}<br><small>ernst {sev:.2f}</small></td>"
            )
        rows.append(f"<tr><td>{_e(names.get(code, code))}</td>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _card_html(card: dict[str, Any], names: dict[str, str]) -> str:
    def partners(items: list[dict[str, Any]]) -> str:
        if not items:
            return "<li class='muted'>nog geen bestaand bedrijf</li>"
        return "".join(
            f"<li>{_e(p['name'])} — {_e(p['address'])} (NACE {_e(p['nace'])})</li>" for p in items
        )

    def why(c: dict[str, Any]) -> str:
        digits = 1 if abs(float(c.get("value") or 0.0)) >= 10 else 4
        return (
            f"<li>{_e(c.get('municipality') or c.get('municipality_code', ''))}: "
            f"{_e(c['label'])}: {_num(c.get('value'), digits)} tegen "
            f"{_num(c.get('national_value'), digits)} in Nederland "
            f"({_e(c.get('worse_when', ''))} is slechter)</li>"
        )

    challenges = (
        "".join(why(c) for c in card.get("challenges_addressed", []))
        or "<li class='muted'>dit mechanisme richt zich op geen opgave die hier duidelijk "
        "slechter is dan in Nederland</li>"
    )
    risks = "".join(f"<li>{_e(r)}</li>" for r in card.get("risks", []))
    steps = "".join(f"<li>{_e(s)}</li>" for s in card.get("next_steps", []))
    return (
        f"<div class='card'><h3>{card['rank']}. {_e(card['name'])}</h3>"
        + "".join(f"<p class='notice'>{_e(n)}</p>" for n in card.get("notices", []))
        + f"<p><b>Hoe het helpt:</b> {_e(card.get('mechanism', ''))}</p>"
        f"<p><b>Vandaag:</b> {_e(card.get('today', ''))}; <b>wordt:</b> "
        f"{_e(card.get('after', ''))}</p>"
        f"<p><b>Materiaal:</b> {_e(card['material'])} — "
        f"{_num(card['volume_tonnes_per_year'], 1)} t/jaar "
        f"(aanbod {_num(card['supply_tonnes_per_year'], 1)} t/jaar, "
        f"{_e(card.get('tonnes_basis', ''))})<br>"
        f"<b>Proces:</b> {_e(card['process'])} — afnemer: {_e(card['receiver_sector'])}<br>"
        f"<b>Opbrengst:</b> ca. EUR {_num(card['estimated_revenue_eur_per_year'])} per jaar; "
        f"<b>CO2e vermeden:</b> {_num(card['co2_avoided_kg_per_year'])} kg per jaar; "
        f"<b>Banen:</b> {_e(card.get('jobs_text', ''))} "
        f"(bandbreedte {_e(card.get('jobs_range', ''))}; {_e(card.get('jobs_basis', ''))})</p>"
        f"<p><b>Leveranciers</b> ({card['n_producers']}):</p><ul>{partners(card['producers'])}</ul>"
        f"<p><b>Afnemers:</b></p><ul>{partners(card['receivers'])}</ul>"
        f"<p><b>Waarom hier (opgaven die dit mechanisme aanpakt):</b></p><ul>{challenges}</ul>"
        f"<p><b>Onderbouwing:</b> {_e(card['evidence'])}</p>"
        f"<p><b>Risico's:</b></p><ul>{risks}</ul>"
        f"<p><b>Volgende stappen:</b></p><ol>{steps}</ol></div>"
    )


def render_report(
    region: str,
    region_label: str,
    date: dt.date,
    candidates: pd.DataFrame,
    cases: pd.DataFrame,
    cards: list[dict[str, Any]],
    challenges: pd.DataFrame,
    municipalities: pd.DataFrame | None = None,
    cascades: pd.DataFrame | None = None,
    n_candidates: int | None = None,
    file_sizes: dict[str, int] | None = None,
    pruning: dict[str, int] | None = None,
    notices: list[str] | None = None,
    notes: list[str] | None = None,
) -> str:
    """The full HTML document as a string (UTF-8, no external resources). `candidates` are
    the ranked top shown; `n_candidates` all candidates kept; the footer states the size of
    every export file and what the engine pruned; `notices` (synthetic data, why there are no
    social cases) stand at the top."""
    names: dict[str, str] = {}
    if municipalities is not None and not municipalities.empty:
        names = dict(zip(municipalities["municipality_code"], municipalities["name"], strict=False))
    cases_html = (
        _table(
            cases,
            [
                ("rank", "#", None),
                ("name", "Business case", None),
                ("case_kind", "Soort", None),
                ("n_producers", "Leveranciers", 0),
                ("n_receivers", "Afnemers", 0),
                ("matched_tonnes", "t/jaar", 1),
                ("economic_value_eur", "EUR/jaar", 0),
                ("co2_avoided_kg", "kg CO2e/jaar", 0),
                ("jobs_range", "Banen", None),
                ("case_score", "Score", 3),
            ],
        )
        if cases is not None and not cases.empty
        else "<p class='muted'>Geen business cases gevonden.</p>"
    )
    n_cand = (
        n_candidates if n_candidates is not None else (0 if candidates is None else len(candidates))
    )
    body = [
        "<!DOCTYPE html><html lang='nl'><head><meta charset='utf-8'>",
        f"<title>Circulaire kansen — {_e(region_label)} — {date.isoformat()}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Circulaire kansen: {_e(region_label)}</h1>",
        "".join(f"<p class='notice'><b>{_e(n)}</b></p>" for n in notices or ()),
        f"<p class='muted'>Regio {_e(region)} · peildatum {date.isoformat()} · "
        f"{n_cand} kandidaat-uitwisselingen beoordeeld. Namen van eenmanszaken zijn "
        "vervangen door een pseudoniem.</p>",
        "<h2>Maatschappelijke opgaven</h2>",
        "<p class='muted'>Waarde per gemeente tegenover Nederland; ernst 0 = niet slechter dan "
        "Nederland, 1 = veel slechter (donkerder = zwaarder). Aandelen als fractie "
        "(0,025 = 2,5%).</p>",
        _challenges_html(challenges, names),
        "<h2>Kaart van de top business cases</h2>",
        render_map_svg(candidates, cases, municipalities),
        "<h2>Top business cases</h2>",
        "".join(f"<p class='muted'>{_e(n)}</p>" for n in notes or ()),
        cases_html,
        "<h2>Uitgewerkte business cases</h2>",
        "".join(_card_html(c, names) for c in cards) or "<p class='muted'>Geen.</p>",
        "<h2>Ketens (cascades)</h2>",
        _table(
            cascades.head(5),
            [
                ("chain", "Keten", None),
                ("actors", "Partners", None),
                ("tonnes_first_step", "t/jaar (stap 1)", 1),
                ("co2_avoided_kg", "kg CO2e/jaar", 0),
                ("cascade_score", "Score", 3),
            ],
        )
        if cascades is not None and not cascades.empty
        else "<p class='muted'>Geen ketens gevonden.</p>",
        "<p class='muted'>Scores: gewogen som van materiaal-, volume-, afstand-, economische, "
        "klimaat-, sociale en nieuwheidscomponenten (zie opportunities.xlsx voor alle "
        "componenten per kandidaat).</p>",
        _footer(file_sizes, pruning),
        "</body></html>",
    ]
    return "\n".join(body) + "\n"


def _footer(file_sizes: dict[str, int] | None, pruning: dict[str, int] | None) -> str:
    """What else is in the export folder, and how big; what the engine left out, counted."""
    parts = ["<footer class='muted'>"]
    if pruning:
        pruned = sum(v for k, v in pruning.items() if k.startswith("pruned"))
        parts.append(
            f"<p>Kandidaten: {pruning.get('generated', 0):,} gegenereerd, "
            f"{pruning.get('kept', 0):,} bewaard, {pruned:,} weggelaten (per leverancier en "
            "materiaal de beste afnemers plus de beste start-up; per afnemer de beste "
            "leveranciers).</p>"
        )
    if file_sizes:
        rows = "".join(
            f"<li>{_e(name)}: {size / 1024:,.0f} KB</li>" for name, size in file_sizes.items()
        )
        parts.append(f"<p>Bestanden in deze map:</p><ul>{rows}</ul>")
    parts.append("</footer>")
    return "".join(parts)


__all__ = ["render_report", "render_map_svg"]
