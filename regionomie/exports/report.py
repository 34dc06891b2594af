"""Self-contained HTML report in the reader's language: the region's challenges, an
interactive map (municipality outlines shaded by a chosen challenge, the top cases as layers
to switch on and off, zoom and pan, hover details, a scale bar and a legend beside the map),
the business cases and the worked-out cards.

One file, no external resources (no CDN, no tiles, no fonts): it works offline and from an
e-mail attachment. Responsive: a viewport, fluid widths, tables that stack into cards on a
phone. Deterministic: the same inputs give the same bytes. Numbers come from Babel
(regionomie.i18n.Texts), texts from the message catalogue.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regionomie.domain.opportunities.cases import best_per_producer
from regionomie.domain.outlines import outline_rings
from regionomie.exports.reader import (
    Localiser,
    _lower_first,
    _upper_first,
    chain_texts,
    challenge_name,
    evidence_text,
)
from regionomie.i18n import Texts
from regionomie.i18n.knowledge import KnowledgeTexts

PALETTE = ("#1f77b4", "#e6550d", "#2ca02c", "#d62728", "#9467bd")
MAP_WIDTH = 1000
MAP_CASES = 5

# The page's style and behaviour, inlined into every report (no external resources).
ASSETS = Path(__file__).parent / "assets"
CSS = (ASSETS / "report.css").read_text(encoding="utf-8")
SCRIPT = (ASSETS / "report.js").read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- map --------------------------------------------------------------------------------


class _Projection:
    """Equirectangular, x scaled by cos(mean latitude): true shapes at a region's scale."""

    def __init__(self, lats: list[float], lons: list[float], width: int = MAP_WIDTH) -> None:
        lat0, lat1 = min(lats), max(lats)
        lon0, lon1 = min(lons), max(lons)
        pad_lat = max((lat1 - lat0) * 0.04, 0.005)
        pad_lon = max((lon1 - lon0) * 0.04, 0.005)
        self.lat0, self.lat1 = lat0 - pad_lat, lat1 + pad_lat
        self.lon0, lon1 = lon0 - pad_lon, lon1 + pad_lon
        self.kx = math.cos(math.radians((self.lat0 + self.lat1) / 2))
        span_x, span_y = (lon1 - self.lon0) * self.kx, self.lat1 - self.lat0
        self.width = width
        self.scale = width / span_x
        self.height = int(round(span_y * self.scale))
        if self.height > width * 1.1 or self.height < width * 0.45:  # keep a usable frame
            self.height = int(min(max(self.height, width * 0.45), width * 1.1))
            self.scale = min(width / span_x, self.height / span_y)
        self.km_per_unit = 111.32 / self.scale

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            round((lon - self.lon0) * self.kx * self.scale, 1),
            round(self.height - (lat - self.lat0) * self.scale, 1),
        )


def _path(rings: list[list[list[float]]], proj: _Projection) -> str:
    parts = []
    for ring in rings:
        pts = [proj.xy(lat, lon) for lon, lat in ring]
        parts.append("M" + "L".join(f"{x},{y}" for x, y in pts) + "Z")
    return "".join(parts)


def _challenge_value(texts: Texts, value: Any, unit: str) -> str:
    if _missing(value):
        return ""
    if unit == "kg_per_inhabitant":
        return f"{texts.number(value, 0)}\u00a0kg"
    if unit == "eur_1000_per_inhabitant":
        return texts.eur(float(value) * 1000)
    return texts.percent(value, 1 if abs(float(value)) >= 0.01 else 2)


def render_map(
    candidates: pd.DataFrame,
    cases: pd.DataFrame,
    municipalities: pd.DataFrame | None,
    challenges: pd.DataFrame | None,
    loc: Localiser,
    top: int = MAP_CASES,
) -> str:
    """The map section: SVG (outlines, labels, one layer per case) and its legend."""
    t = loc.texts
    if cases is None or cases.empty or candidates is None or candidates.empty:
        return f"<p class='muted'>{_e(t._('No map: no business cases.'))}</p>"
    best = best_per_producer(candidates)
    layers = []
    for i, case in enumerate(cases.head(top).itertuples(index=False)):
        members = best[best["pathway_id"] == case.pathway_id].sort_values("candidate_id")
        coords = members[["producer_lat", "producer_lon", "receiver_lat", "receiver_lon"]]
        members = members[coords.notna().all(axis=1).to_numpy()]
        layers.append((i, case, members))
    mun = municipalities if municipalities is not None else pd.DataFrame()
    rings_by_code = {
        str(r.municipality_code): outline_rings(getattr(r, "outline", None))
        for r in mun.itertuples(index=False)
    }
    lats: list[float] = []
    lons: list[float] = []
    for rings in rings_by_code.values():
        for ring in rings:
            lons += [p[0] for p in ring]
            lats += [p[1] for p in ring]
    for _, _, m in layers:
        lats += m["producer_lat"].astype(float).tolist() + m["receiver_lat"].astype(float).tolist()
        lons += m["producer_lon"].astype(float).tolist() + m["receiver_lon"].astype(float).tolist()
    if not lats:
        return f"<p class='muted'>{_e(t._('No map: no coordinates.'))}</p>"
    proj = _Projection(lats, lons)
    names = loc.municipality_names
    chall = challenges if challenges is not None else pd.DataFrame()
    by_mun: dict[str, pd.DataFrame] = (
        {str(c): g for c, g in chall.groupby("municipality_code", sort=True)} if len(chall) else {}
    )
    options = (
        chall.drop_duplicates("challenge_id").sort_values("challenge_id")
        if len(chall)
        else pd.DataFrame(columns=["challenge_id", "label"])
    )
    parts = [
        f"<svg id='map' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {proj.width} "
        f"{proj.height}' data-km-per-unit='{proj.km_per_unit:.6f}' role='img' "
        f"aria-label='{_e(t._('Map of the top business cases'))}'><g id='outlines'>"
    ]
    has_outlines = False
    for code in sorted(rings_by_code, key=lambda c: (names.get(c, c), c)):
        rings = rings_by_code[code]
        if not rings:
            continue
        has_outlines = True
        rows = by_mun.get(code, pd.DataFrame())
        severity = {
            str(r.challenge_id): round(float(r.severity), 3)
            for r in rows.itertuples(index=False)
            if not _missing(r.severity)
        }
        values = {
            str(r.challenge_id): f"{challenge_name(r.challenge_id, r.label, t)}: "
            f"{_challenge_value(t, r.value, getattr(r, 'unit', 'share'))}"
            for r in rows.itertuples(index=False)
        }
        parts.append(
            f"<path class='mun' d='{_path(rings, proj)}' data-tip='{_e(names.get(code, code))}' "
            f"data-severity='{_e(json.dumps(severity, sort_keys=True))}' "
            f"data-values='{_e(json.dumps(values, sort_keys=True, ensure_ascii=False))}'/>"
        )
    parts.append("</g>")
    for i, _case, members in layers:
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f"<g id='layer-{i}' class='case'>")
        receivers: dict[tuple[float, float], tuple[str, bool]] = {}
        for row in members.itertuples(index=False):
            x1, y1 = proj.xy(float(row.producer_lat), float(row.producer_lon))
            x2, y2 = proj.xy(float(row.receiver_lat), float(row.receiver_lon))
            startup = row.receiver_kind == "sector"
            receiver = (
                t._("New company (start-up): {sector}", sector=loc.kb.receiver_label(
                    row.pathway_id, str(row.receiver_label)))
                if startup
                else str(row.receiver_name)
            )  # fmt: skip
            flow_tip = t._(
                "{material}: {producer} → {receiver}\n{tonnes} per year, {distance}",
                material=_upper_first(loc.kb.material(row.material_id, str(row.material_name))),
                producer=row.producer_name,
                receiver=receiver,
                tonnes=t.tonnes(row.matched_tonnes),
                distance=t.km(row.distance_km),
            )
            css = "flow startup" if startup else "flow"
            parts.append(
                f"<line class='{css}' x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' "
                f"stroke='{colour}' data-tip='{_e(flow_tip)}'/>"
            )
            producer_tip = t._(
                "{name} (supplier)\n{material}: {tonnes} per year ({basis})",
                name=row.producer_name,
                material=loc.kb.material(row.material_id, str(row.material_name)),
                tonnes=t.tonnes(row.supply_tonnes),
                basis=t._("measured (LMA)") if row.supply_source == "lma" else t._("estimated"),
            )
            parts.append(
                f"<circle class='dot' cx='{x1}' cy='{y1}' r='5' fill='{colour}' "
                f"data-tip='{_e(producer_tip)}'/>"
            )
            receivers.setdefault((x2, y2), (receiver, startup))
        for (x2, y2), (receiver, startup) in sorted(receivers.items()):
            tip = t._("{name} (receiver)", name=receiver)
            shape = (
                f"<rect class='recv' x='{x2 - 6}' y='{y2 - 6}' width='12' height='12' "
                f"stroke='{colour}' data-tip='{_e(tip)}'/>"
                if startup
                else f"<circle class='recv' cx='{x2}' cy='{y2}' r='7' stroke='{colour}' "
                f"data-tip='{_e(tip)}'/>"
            )
            parts.append(shape)
        parts.append("</g>")
    parts.append("<g id='labels'>")
    for row in mun.itertuples(index=False):
        rings = rings_by_code.get(str(row.municipality_code)) or []
        if rings:
            biggest = max(rings, key=len)
            lon = float(np.mean([p[0] for p in biggest]))
            lat = float(np.mean([p[1] for p in biggest]))
        elif not (_missing(row.lat) or _missing(row.lon)):
            lat, lon = float(row.lat), float(row.lon)
        else:
            continue
        x, y = proj.xy(lat, lon)
        if not (0 <= x <= proj.width and 0 <= y <= proj.height):
            continue
        parts.append(
            f"<text class='label' x='{x}' y='{y}' text-anchor='middle'>"
            f"{_e(names.get(str(row.municipality_code), row.municipality_code))}</text>"
        )
    parts.append("</g></svg>")
    svg = "".join(parts)
    legend = [f"<aside class='legend' aria-label='{_e(t._('Legend'))}'>"]
    if has_outlines and len(options):
        worst = (
            chall.groupby("challenge_id")["severity"].mean().sort_values(ascending=False).index[0]
        )
        opts = "".join(
            f"<option value='{_e(r.challenge_id)}'"
            f"{' selected' if r.challenge_id == worst else ''}>"
            f"{_e(challenge_name(r.challenge_id, r.label, t))}</option>"
            for r in options.itertuples(index=False)
        )
        legend.append(
            f"<fieldset><legend>{_e(t._('Municipalities shaded by'))}</legend>"
            f"<select id='shade' aria-label='{_e(t._('Challenge'))}'>{opts}</select>"
            "<div class='ramp'></div><div class='ramp-labels'>"
            f"<span>{_e(t._('as the Netherlands or better'))}</span>"
            f"<span>{_e(t._('much worse'))}</span></div></fieldset>"
        )
    items = "".join(
        f"<label><input type='checkbox' checked data-layer='layer-{i}'>"
        f"<span class='swatch' style='background:{PALETTE[i % len(PALETTE)]}'></span>"
        f"<span>{_e(case_title)}</span></label>"
        for i, case_title in (
            (i, loc.case_names(pd.DataFrame([case._asdict()])).iat[0]) for i, case, _ in layers
        )
    )
    legend.append(f"<fieldset><legend>{_e(t._('Business cases'))}</legend>{items}</fieldset>")
    legend.append(
        f"<fieldset class='symbols'><legend>{_e(t._('Symbols'))}</legend>"
        "<div><svg width='22' height='14' aria-hidden='true'><circle cx='11' cy='7' r='5' "
        f"fill='#555'/></svg> {_e(t._('supplier'))}</div>"
        "<div><svg width='22' height='16' aria-hidden='true'><circle cx='11' cy='8' r='6' "
        f"fill='#fff' stroke='#555' stroke-width='2.5'/></svg> {_e(t._('existing receiver'))}"
        "</div><div><svg width='22' height='16' aria-hidden='true'><rect x='5' y='2' "
        "width='12' height='12' fill='#fff' stroke='#555' stroke-width='2.5'/></svg> "
        f"{_e(t._('start-up (new receiver), dashed line'))}</div></fieldset>"
    )
    if not has_outlines:
        legend.append(
            "<p class='muted'>"
            + _e(
                t._(
                    "No municipality outlines in the data: fetch them with "
                    "`regionomie fetch pdok --year 2025`."
                )
            )
            + "</p>"
        )
    legend.append("</aside>")
    tools = (
        "<div class='map-tools'>"
        f"<button type='button' id='zoom-in' aria-label='{_e(t._('Zoom in'))}'>+</button>"
        f"<button type='button' id='zoom-out' aria-label='{_e(t._('Zoom out'))}'>−</button>"
        f"<button type='button' id='zoom-reset' aria-label='{_e(t._('Whole region'))}'>⟲"
        "</button></div>"
    )
    scale = (
        "<div class='scale' aria-hidden='true'><span id='scale-bar' class='bar'></span>"
        "<span id='scale-label'></span></div>"
    )
    hint = t._("Drag to pan, scroll or use + and − to zoom; hover or tap for details.")
    return (
        f"<div class='map-wrap'><div class='map-box'>{svg}{tools}<div id='tip'></div>{scale}"
        f"<p class='muted'>{_e(hint)}</p></div>{''.join(legend)}</div>"
    )


# --- tables -------------------------------------------------------------------------------


def _stack_table(headers: list[tuple[str, bool]], rows: list[list[str]], head_col: int = 1) -> str:
    """A table that stacks into one card per row on a phone; cells are ready HTML.
    headers: (title, numeric); head_col: the cell shown as the card's title."""
    head = "".join(f"<th{' class=num' if num else ''}>{_e(h)}</th>" for h, num in headers)
    body = []
    for cells in rows:
        tds = []
        for j, ((title, num), cell) in enumerate(zip(headers, cells, strict=True)):
            css = "head" if j == head_col else ("num" if num else "")
            attr = f" class='{css}'" if css else ""
            tds.append(f"<td{attr} data-label='{_e(title)}'>{cell}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return (
        f"<div class='table'><table class='stack'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _challenges_html(challenges: pd.DataFrame, loc: Localiser) -> str:
    """Municipality x challenge: the value (with the Dutch national value in the first row),
    shaded by severity against the Netherlands (darker = worse)."""
    t = loc.texts
    if challenges is None or challenges.empty:
        return f"<p class='muted'>{_e(t._('No CBS indicators available for this region.'))}</p>"
    first = challenges.drop_duplicates("challenge_id").set_index("challenge_id")
    order = sorted(first.index)
    headers = [(t._("Municipality"), False)] + [
        (challenge_name(c, first.at[c, "label"], t), True) for c in order
    ]
    rows = []
    if "national_value" in first.columns and first["national_value"].notna().any():
        national = [f"<b>{_e(t._('The Netherlands'))}</b>"] + [
            _e(_challenge_value(t, first.at[c, "national_value"], first.at[c, "unit"]
                                if "unit" in first.columns else "share"))
            for c in order
        ]  # fmt: skip
        rows.append(national)
    names = loc.municipality_names
    for code, grp in sorted(
        challenges.groupby("municipality_code", sort=True),
        key=lambda item: (names.get(str(item[0]), str(item[0])), str(item[0])),
    ):
        grp = grp.set_index("challenge_id")
        cells = [_e(names.get(str(code), str(code)))]
        for c in order:
            if c not in grp.index:
                cells.append("")
                continue
            row = grp.loc[c]
            sev = float(row["severity"]) if not _missing(row["severity"]) else 0.0
            alpha = round(0.08 + 0.7 * sev, 2)
            value = _challenge_value(t, row["value"], row.get("unit", "share"))
            cells.append(
                f"<span style='background:rgba(192,57,43,{alpha});padding:.1rem .3rem;"
                f"border-radius:3px'>{_e(value)}</span>"
                f"<small>{_e(t._('severity {severity}', severity=t.percent(sev, 0)))}</small>"
            )
        rows.append(cells)
    return _stack_table(headers, rows, head_col=0)


def _cases_html(cases: pd.DataFrame, loc: Localiser) -> str:
    t = loc.texts
    if cases is None or cases.empty:
        return f"<p class='muted'>{_e(t._('No business cases found.'))}</p>"
    names = loc.case_names(cases)
    headers = [
        ("#", True),
        (t._("Business case"), False),
        (t._("Suppliers"), True),
        (t._("Receivers"), True),
        (t._("Tonnes per year"), True),
        (t._("Revenue per year"), True),
        (t._("CO₂e avoided per year"), True),
        (t._("Jobs"), True),
        (t._("Score"), True),
    ]
    rows = [
        [
            _e(int(r.rank)),
            _e(names.iat[i]),
            _e(t.number(r.n_producers)),
            _e(t.number(r.n_receivers)),
            _e("—" if _no_flow(r) else t.tonnes(r.matched_tonnes)),
            _e(t.eur(r.economic_value_eur)),
            _e("—" if _no_flow(r) else t.co2e_kg(r.co2_avoided_kg)),
            _e(t.jobs(r.jobs)),
            _e(t.score(r.case_score)),
        ]
        for i, r in enumerate(cases.itertuples(index=False))
    ]
    return _stack_table(headers, rows)


def _cascades_html(cascades: pd.DataFrame | None, loc: Localiser) -> str:
    t = loc.texts
    if cascades is None or cascades.empty:
        return f"<p class='muted'>{_e(t._('No chains found.'))}</p>"
    top = cascades.head(5)
    chains = chain_texts(top, loc)
    headers = [
        (t._("Chain"), False),
        (t._("Partners"), False),
        (t._("Tonnes per year (step 1)"), True),
        (t._("CO₂e avoided per year"), True),
        (t._("Score"), True),
    ]
    rows = [
        [
            _e(chains.iat[i]),
            _e(str(r.actors).replace(";", "; ")),
            _e(t.tonnes(r.tonnes_first_step)),
            _e(t.co2e_kg(r.co2_avoided_kg)),
            _e(t.score(r.cascade_score)),
        ]
        for i, r in enumerate(top.itertuples(index=False))
    ]
    return _stack_table(headers, rows, head_col=0)


# --- cards --------------------------------------------------------------------------------


def _no_flow(case: Any) -> bool:
    """A social case moves no material: its tonnes and CO₂e are not zero but not applicable."""
    return str(getattr(case, "case_kind", "")) == "social"


def localise_cards(
    cards: list[dict[str, Any]], cases: pd.DataFrame, loc: Localiser
) -> list[dict[str, Any]]:
    """The engine's cards with every reader text in the language: the case name, process,
    receiver sector, challenges, risks and next steps (built from the card's own figures),
    plus the figures formatted for people (`display`)."""
    t = loc.texts
    by_case = cases.set_index("case_id") if len(cases) else pd.DataFrame()
    out = []
    for card in cards:
        case_id = str(card.get("case_id", ""))
        case = by_case.loc[case_id] if case_id in by_case.index else None
        pid = str(case["pathway_id"]) if case is not None else case_id
        name = (
            loc.case_names(pd.DataFrame([case]).assign(case_id=case_id)).iat[0]
            if case is not None
            else card.get("name", "")
        )
        use = loc.kb.use(pid, str(card.get("process", "")))
        label = loc.kb.receiver_label(pid, str(card.get("receiver_sector", "")))
        nace = str(case["receiver_nace"]) if case is not None else ""
        material_id = str(case["material_id"]) if case is not None else ""
        startup = bool(case["is_startup"]) if case is not None else False
        engine_texts = t.lang == "nl" and ("risks" in card or "next_steps" in card)
        risks = [*card.get("mechanism_risks_en", []), *loc.kb.caveats(pid)]
        if float(card.get("share_estimated") or 0) > 0.5:
            risks.append(t._("Volumes are mostly estimated from sector averages: measure at the "
                             "suppliers first."))  # fmt: skip
        if startup:
            risks.append(t._("The region has no receiver of this kind yet: a start-up or a "
                             "receiver from outside the region is needed."))  # fmt: skip
        if case is not None and _food_or_feed(card):
            risks.append(t._("Food or feed use: NVWA requirements and a hygiene protocol apply."))
        n = int(card.get("n_producers") or 0)
        steps = [
            t._("Contact the {n} largest suppliers and confirm quantities and collection "
                "frequency.", n=min(n, 10)),  # fmt: skip
            t._("Find an initiator (start-up, entrepreneur or social enterprise) for: {use}.",
                use=_lower_first(use))
            if startup
            else t._("Put the proposal to the receiver(s) and ask for their quality requirements."),
            t._("Arrange collection (a route along the suppliers) and check the permit and waste "
                "status (end of waste or by-product)."),
            t._("Run a three-month pilot and measure tonnes, revenue and CO₂e."),
        ]  # fmt: skip
        if engine_texts:  # the engine writes these in Dutch, from the case's own figures
            # ... after the pathway's own caveats, which it quotes from the English knowledge
            # base: those come from the Dutch pathway texts instead
            english = set(KnowledgeTexts("en").caveats(pid))
            own = list(loc.kb.caveats(pid))
            risks = own + [str(r) for r in card.get("risks", []) if str(r) not in english]
            if any("NVWA" in r for r in own):  # the pathway already names the food rules
                risks = own + [r for r in risks[len(own) :] if "NVWA" not in r]
            steps = [str(s) for s in card.get("next_steps", [])]
        challenges = []
        for c in card.get("challenges_addressed", []) or card.get("challenges", []):
            code = str(c.get("municipality_code", ""))
            unit = str(c.get("unit", "share"))
            entry = dict(c)
            entry["label"] = challenge_name(c.get("challenge_id", ""), c.get("label", ""), t)
            entry["municipality"] = loc.municipality_names.get(code, c.get("municipality", code))
            if "worse_when" in c:
                entry["worse_when"] = (
                    t._("higher") if str(c["worse_when"]) in ("hoger", "higher") else t._("lower")
                )
            entry["display"] = {
                "value": _challenge_value(t, c.get("value"), unit),
                "national_value": _challenge_value(t, c.get("national_value"), unit)
                if c.get("national_value") is not None
                else "",
                "severity": t.percent(c.get("severity"), 0),
            }
            challenges.append(entry)

        def partner(p: dict[str, Any]) -> dict[str, Any]:
            q = dict(p)
            q["role"] = t._("supplier") if p.get("role") == "leverancier" else t._("receiver")
            q["sector"] = loc.kb.sector(str(p.get("nace", "")))
            q["municipality_name"] = loc.municipality_names.get(str(p.get("municipality")), "")
            return q

        local = {k: v for k, v in card.items() if k != "mechanism_risks_en"}  # now in risks
        local.update(
            name=name,
            material=loc.kb.material(material_id, str(card.get("material", ""))),
            process=use,
            receiver_sector=f"{label} ({nace})" if nace and f"({nace})" not in label else label,
            hub_municipality=card.get("hub_municipality", ""),
            producers=[partner(p) for p in card.get("producers", [])],
            receivers=[partner(p) for p in card.get("receivers", [])],
            challenges_addressed=challenges,
            risks=risks,
            next_steps=steps,
            alternative_uses=loc.alternative_uses(
                pd.Series([card.get("alternative_uses", "")])
            ).iat[0],
            evidence=evidence_text(str(card.get("evidence", "")), t),
            language=t.lang,
            display={
                "volume": t.tonnes(card.get("volume_tonnes_per_year")),
                "supply": t.tonnes(card.get("supply_tonnes_per_year")),
                "share_estimated": t.percent(card.get("share_estimated"), 0),
                "revenue": t.eur(card.get("estimated_revenue_eur_per_year")),
                "co2e_avoided": t.co2e_kg(card.get("co2_avoided_kg_per_year")),
                "jobs": str(card.get("jobs_range") or "") or t.jobs(card.get("jobs")),
                "score": t.score(card.get("case_score")),
            },
        )
        if "mechanism" in card:
            local["mechanism"] = card.get(f"mechanism_{t.lang}") or card.get("mechanism")
        out.append(local)
    return out


def _food_or_feed(card: dict[str, Any]) -> bool:
    """The engine's card says so in its Dutch risk list; the pathway table says so too."""
    return any("NVWA" in str(r) for r in card.get("risks", []))


def _card_html(card: dict[str, Any], loc: Localiser) -> str:
    t = loc.texts
    d = card["display"]

    def partners(items: list[dict[str, Any]]) -> str:
        if not items:
            return f"<li class='muted'>{_e(t._('no existing company yet'))}</li>"
        return "".join(
            f"<li>{_e(p['name'])} — {_e(p['address'])} ({_e(p.get('sector') or '')}, "
            f"NACE {_e(p['nace'])})</li>"
            for p in items
        )

    challenges = (
        "".join(
            f"<li>{_e(c['municipality'])}: {_e(c['label'])} — {_e(c['display']['value'])}"
            + (
                f" ({_e(t._('the Netherlands: {value}', value=c['display']['national_value']))})"
                if c["display"].get("national_value")
                else ""
            )
            + (
                f", {_e(t._('worse when {direction}', direction=c['worse_when']))}"
                if c.get("worse_when")
                else ""
            )
            + f", {_e(t._('severity {severity}', severity=c['display']['severity']))}</li>"
            for c in card.get("challenges_addressed", [])
        )
        or f"<li class='muted'>{_e(t._('no challenge worse than the Netherlands found'))}</li>"
    )
    risks = "".join(f"<li>{_e(r)}</li>" for r in card.get("risks", []))
    steps = "".join(f"<li>{_e(s)}</li>" for s in card.get("next_steps", []))
    mechanism = (
        f"<p><b>{_e(t._('How it helps'))}:</b> {_e(card['mechanism'])}</p>"
        if card.get("mechanism")
        else ""
    )
    volume = f"{card['material']} — {d['volume']} " + t._(
        "per year (supply {supply}, {share} estimated)", supply=d["supply"],
        share=d["share_estimated"])  # fmt: skip
    if card.get("tonnes_basis"):
        volume += f"; {card['tonnes_basis']}"
    jobs = d["jobs"] + (f" ({card['jobs_basis']})" if card.get("jobs_basis") else "")
    facts = [
        (t._("Material"), volume),
        (t._("Process"), card["process"]),
        (t._("Receiver"), card["receiver_sector"]),
        (t._("Revenue"), t._("about {eur} per year", eur=d["revenue"])),
        (t._("CO₂e avoided"), t._("{co2} per year", co2=d["co2e_avoided"])),
        (t._("Jobs"), jobs),
    ]  # fmt: skip
    if card.get("today") or card.get("after"):
        facts.insert(0, (t._("Today → then"), f"{card.get('today', '')} → {card.get('after', '')}"))
    if card.get("case_kind") == "social":  # no material moves: say whom it reaches instead
        reach = f"{t.number(card.get('people_reached') or 0)} {card.get('reach_unit', '')}"
        facts = [(t._("Reach"), reach.strip()), *facts[1:4], facts[5]]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    n = card.get("n_producers", 0)
    return (
        f"<section class='card'><h3>{card['rank']}. {_e(card['name'])}</h3>"
        + "".join(f"<p class='notice'>{_e(n)}</p>" for n in card.get("notices", []))
        + f"{mechanism}"
        f"<dl>{dl}</dl>"
        f"<p><b>{_e(t.ngettext('{n} supplier', '{n} suppliers', int(n)))}</b></p>"
        f"<ul>{partners(card['producers'])}</ul>"
        f"<p><b>{_e(t._('Receivers'))}</b></p><ul>{partners(card['receivers'])}</ul>"
        f"<p><b>{_e(t._('Societal challenges'))}</b></p><ul>{challenges}</ul>"
        f"<p><b>{_e(t._('Evidence'))}:</b> {_e(card.get('evidence', ''))}</p>"
        f"<p><b>{_e(t._('Risks'))}</b></p><ul>{risks}</ul>"
        f"<p><b>{_e(t._('Next steps'))}</b></p><ol>{steps}</ol></section>"
    )


# --- the page -----------------------------------------------------------------------------


def _kpis(cases: pd.DataFrame, t: Texts) -> str:
    if cases is None or cases.empty:
        return ""
    items = [
        (t._("business cases"), t.number(len(cases))),
        (t._("tonnes per year matched"), t.tonnes(cases["matched_tonnes"].sum())),
        (t._("revenue per year"), t.eur(cases["economic_value_eur"].sum())),
        (t._("CO₂e avoided per year"), t.co2e_kg(cases["co2_avoided_kg"].sum())),
        (t._("jobs (indication)"), t.jobs(cases["jobs"].sum())),
    ]
    return (
        "<div class='kpis'>"
        + "".join(f"<div class='kpi'><b>{_e(v)}</b>{_e(k)}</div>" for k, v in items)
        + "</div>"
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
    loc: Localiser | None = None,
    notices: list[str] | None = None,
    notes: list[str] | None = None,
) -> str:
    """The full HTML document as a string (UTF-8, no external resources). `candidates` are
    the ranked top shown; `cards` already localised (localise_cards); `n_candidates` all
    candidates kept; the footer states the size of every export file and what was pruned."""
    if loc is None:
        names: dict[str, str] = {}
        if municipalities is not None and not municipalities.empty:
            names = dict(
                zip(municipalities["municipality_code"], municipalities["name"], strict=False)
            )
        loc = Localiser(Texts("nl"), names)
    t = loc.texts
    n_cand = n_candidates if n_candidates is not None else (
        0 if candidates is None else len(candidates))  # fmt: skip
    title = t._("Circular opportunities: {region}", region=region_label)
    notice = "".join(f"<p class='notice'><b>{_e(n)}</b></p>" for n in notices or ())
    body = [
        f"<!DOCTYPE html><html lang='{t.lang}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<link rel='icon' href='data:,'>",
        f"<title>{_e(title)} — {_e(t.date(date))}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        notice,
        "<p class='muted'>"
        + _e(
            t._(
                "Region {region} · reference date {date} · {n} candidate exchanges assessed. "
                "Sole proprietors appear under a pseudonym.",
                region=region,
                date=t.date(date),
                n=t.number(n_cand),
            )
        )
        + "</p>",
        _kpis(cases, t),
        f"<h2>{_e(t._('Map of the top business cases'))}</h2>",
        render_map(candidates, cases, municipalities, challenges, loc),
        f"<h2>{_e(t._('Societal challenges'))}</h2>",
        "<p class='muted'>"
        + _e(
            t._(
                "Value per municipality from CBS; the shading shows how much worse than the "
                "Netherlands (darker = worse), severity 100 % = worse by the challenge's full "
                "scale."
            )
        )
        + "</p>",
        _challenges_html(challenges, loc),
        f"<h2>{_e(t._('Top business cases'))}</h2>",
        "".join(f"<p class='muted'>{_e(n)}</p>" for n in notes or ()),
        _cases_html(cases, loc),
        f"<h2>{_e(t._('Business cases worked out'))}</h2>",
        "".join(_card_html(c, loc) for c in cards) or f"<p class='muted'>{_e(t._('None.'))}</p>",
        f"<h2>{_e(t._('Chains (cascades)'))}</h2>",
        _cascades_html(cascades, loc),
        "<p class='muted'>"
        + _e(
            t._(
                "Score: weighted sum of material, volume, distance, economic, climate, social "
                "and novelty components, 0 to 100 (opportunities.xlsx has every component per "
                "candidate)."
            )
        )
        + "</p>",
        _footer(file_sizes, pruning, municipalities, t),
        f"</main><script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(part for part in body if part) + "\n"


def _footer(
    file_sizes: dict[str, int] | None,
    pruning: dict[str, int] | None,
    municipalities: pd.DataFrame | None,
    t: Texts,
) -> str:
    """What else is in the export folder, and how big; what the engine left out, counted;
    where the data come from."""
    parts = ["<footer class='muted'>"]
    if pruning:
        pruned = sum(v for k, v in pruning.items() if k.startswith("pruned"))
        parts.append(
            "<p>"
            + _e(
                t._(
                    "Candidates: {generated} generated, {kept} kept, {pruned} left out (per "
                    "supplier and material the best receivers plus the best start-up; per "
                    "receiver the best suppliers).",
                    generated=t.number(pruning.get("generated", 0)),
                    kept=t.number(pruning.get("kept", 0)),
                    pruned=t.number(pruned),
                )
            )
            + "</p>"
        )
    if file_sizes:
        rows = "".join(
            f"<li>{_e(name)}: {_e(t.number(size / 1024))}\u00a0KB</li>"
            for name, size in file_sizes.items()
        )
        parts.append(f"<p>{_e(t._('Files in this folder:'))}</p><ul>{rows}</ul>")
    has_outlines = (
        municipalities is not None
        and "outline" in municipalities.columns
        and municipalities["outline"].notna().any()
    )
    sources = t._(
        "Sources: KvK (companies), LMA (waste receipts), CBS StatLine (challenges), "
        "knowledge base of documented uses."
    )
    if has_outlines:
        sources += " " + t._(
            "Municipality outlines: CBS/Kadaster gebiedsindelingen via PDOK (CC BY 4.0), "
            "generalised."
        )
    parts.append(f"<p>{_e(sources)}</p></footer>")
    return "".join(parts)


__all__ = ["localise_cards", "render_map", "render_report"]
