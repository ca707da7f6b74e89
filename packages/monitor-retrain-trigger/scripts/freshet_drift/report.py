"""The window's outputs: ``report.json``, ``report.html`` (one inline SVG chart per feature) and ``metrics.json``.

``metrics.json`` is a list of CloudWatch datums (``MetricName``, ``Dimensions``, ``Value``,
``Unit``); the publisher Lambda adds the namespace ``Freshet/ModelMonitor``. Below the minimum
sample size it holds only SampleSize and CorruptRecords, so the drift alarms (missing data not
breaching) stay OK.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

NOT_ENOUGH_DATA = "not enough data"


def datum(name: str, value: float, unit: str, **dimensions: str) -> Dict[str, Any]:
    return {"MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()], "Value": float(value), "Unit": unit}


def metrics(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    endpoint = report["endpoint"]
    out = [datum("SampleSize", report["sampleSize"], "Count", Endpoint=endpoint), datum("CorruptRecords", report["corruptRecords"], "Count", Endpoint=endpoint)]
    if report["status"] == NOT_ENOUGH_DATA:
        return out
    drifts = 0
    for name, feature in report["features"].items():
        out.append(datum("NullShare", feature["nullShare"], "None", Endpoint=endpoint, Feature=name))
        out.append(datum("InvalidShare", feature["invalidShare"], "None", Endpoint=endpoint, Feature=name))
        if feature.get("psi") is not None:
            out.append(datum("FeatureDrift", feature["psi"], "None", Endpoint=endpoint, Feature=name))
            drifts += 1
    alarm = report.get("alarmValues") or {}
    if drifts:
        # The worst PSI among features whose PSI is beyond the noise of the window's size (0 when none is).
        out.append(datum("MaxFeatureDrift", alarm.get("maxFeatureDrift", 0.0), "None", Endpoint=endpoint))
        out.append(datum("FeaturesOverThreshold", len(report["driftedFeatures"]), "Count", Endpoint=endpoint))
    if report["features"]:
        out.append(datum("MaxNullShareIncrease", alarm.get("maxNullShareIncrease", 0.0), "None", Endpoint=endpoint))
        out.append(datum("MaxInvalidShareIncrease", alarm.get("maxInvalidShareIncrease", 0.0), "None", Endpoint=endpoint))
    prediction = report.get("prediction") or {}
    if prediction.get("psi") is not None:
        # As MaxFeatureDrift: 0 when the outputs' PSI is within the noise of the window's size.
        out.append(datum("PredictionDrift", prediction["psi"] if prediction.get("significant") else 0.0, "None", Endpoint=endpoint))
    quality = report.get("modelQuality")
    if quality is not None:
        if quality.get("value") is not None:
            out.append(datum("ModelQuality", quality["value"], "None", Endpoint=endpoint, Metric=quality["metric"]))
        out.append(datum("GroundTruthMatches", quality["matches"], "Count", Endpoint=endpoint))
        out.append(datum("UnmatchedLabels", quality["unmatchedLabels"], "Count", Endpoint=endpoint))
        out.append(datum("UnmatchedPredictions", quality["unmatchedPredictions"], "Count", Endpoint=endpoint))
    return out


def plain(value: Any) -> Any:
    """JSON-safe: an undefined number (NaN, infinity) is null, as in evaluation.json."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def write_outputs(report: Dict[str, Any], folder: Path) -> None:
    report = plain(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps(metrics(report), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    (folder / "report.html").write_text(page(report), encoding="utf-8")


# -- the page ---------------------------------------------------------------------------------------------------

HEIGHT, PAD, LABELS, SLOT = 190, 28, 70, 34
#: categories a chart shows by name; the rest are one "other" bar
TOP_CATEGORIES = 12


def chart_bins(bins: List[Dict[str, Any]], top: int = TOP_CATEGORIES) -> List[Dict[str, Any]]:
    """The bars of a chart: every bin, or for many categories the ``top`` largest (by the larger share) and one "other"."""
    named = [b for b in bins if b["bin"] != "(unseen)"]
    if len(named) <= top + 1:
        return bins
    ranked = sorted(named, key=lambda b: max(b["baseline"], b["window"]), reverse=True)
    kept, rest = ranked[:top], ranked[top:]
    other = {"bin": f"other ({len(rest)})", "baseline": sum(b["baseline"] for b in rest), "window": sum(b["window"] for b in rest)}
    return [*kept, other, *[b for b in bins if b["bin"] == "(unseen)"]]


def chart(title: str, bins: List[Dict[str, Any]]) -> str:
    """Paired bars per bin, labelled with the bin's edges or category: baseline (grey) and window (blue) shares."""
    if not bins:
        return "<p>no bins</p>"
    bars = chart_bins(bins)
    width = max(360, 2 * PAD + SLOT * len(bars))
    top = max(max(b["baseline"], b["window"]) for b in bars) or 1.0
    base_y = HEIGHT - PAD - LABELS
    plot = base_y - PAD
    bar = SLOT / 2 - 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" role="img" aria-label="{html.escape(title)}" font-family="sans-serif">']
    parts.append(f'<line x1="{PAD}" y1="{base_y}" x2="{width - PAD}" y2="{base_y}" stroke="#444"/>')
    parts.append(f'<text x="{PAD - 4}" y="{PAD + 4}" font-size="9" text-anchor="end">{top:.2f}</text>')
    for i, b in enumerate(bars):
        x = PAD + i * SLOT + 1
        for offset, share, colour in ((0, b["baseline"], "#9e9e9e"), (bar, b["window"], "#1f77b4")):
            h = plot * share / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{base_y - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{html.escape(str(b['bin']))}: {'baseline' if offset == 0 else 'window'} {share:.3f}</title></rect>"
            )
        label = str(b["bin"])
        label = label if len(label) <= 16 else label[:15] + "…"
        cx = x + bar
        parts.append(f'<text x="{cx:.1f}" y="{base_y + 8}" font-size="9" text-anchor="end" transform="rotate(-45 {cx:.1f} {base_y + 8})">{html.escape(label)}</text>')
    parts.append(f'<text x="{PAD}" y="14" font-size="11">{html.escape(title)}  (grey: baseline, blue: window; share of values)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.4f}"


def page(report: Dict[str, Any]) -> str:
    rows = []
    charts = []
    for name, feature in report.get("features", {}).items():
        over = name in report.get("driftedFeatures", [])
        rows.append(
            f"<tr{' class=over' if over or feature.get('status', 'ok') not in ('ok', 'not enough data') else ''}><td>{html.escape(name)}</td><td>{feature['kind']}</td><td>{_fmt(feature.get('psi'))}</td>"
            f"<td>{_fmt(feature.get('noiseFloor'))}</td><td>{feature['threshold']:.3f}</td>"
            f"<td>{feature['nullShare']:.4f} ({_fmt(feature.get('baselineNullShare'))})</td><td>{feature['invalidShare']:.4f} ({_fmt(feature.get('baselineInvalidShare'))})</td>"
            f"<td>{html.escape(feature.get('status', ''))}</td></tr>"
        )
        charts.append(f"<figure>{chart(name, feature.get('bins', []))}<figcaption>{html.escape(name)}: PSI {_fmt(feature.get('psi'))}, noise floor {_fmt(feature.get('noiseFloor'))}, {html.escape(feature.get('status', ''))}</figcaption></figure>")
    prediction = report.get("prediction") or {}
    if prediction.get("bins"):
        charts.append(f"<figure>{chart('prediction', prediction['bins'])}<figcaption>prediction: PSI {_fmt(prediction.get('psi'))}</figcaption></figure>")
    for variant, shadow in (report.get("shadowVariants") or {}).items():
        if shadow.get("predictionBins"):
            charts.append(f"<figure>{chart('shadow ' + variant + ' prediction', shadow['predictionBins'])}<figcaption>shadow variant {html.escape(variant)}: PSI {_fmt(shadow.get('predictionPsi'))} (not in the verdict)</figcaption></figure>")
    quality = report.get("modelQuality")
    quality_html = ""
    if quality is not None:
        quality_html = (
            f"<h2>Model quality</h2><p>{html.escape(quality['metric'])} = {_fmt(quality.get('value'))} over {quality['matches']} matched pair(s); "
            f"{quality['unmatchedLabels']} unmatched label(s), {quality['unmatchedPredictions']} unmatched prediction(s).</p>"
        )
    reasons = "".join(f"<li>{html.escape(reason)}: {count}</li>" for reason, count in report.get("problems", {}).items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift report {html.escape(report['endpoint'])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}
tr.over td{{background:#fde0dc}}figure{{display:inline-block;margin:0.5em}}</style></head>
<body><h1>Drift report: {html.escape(report['endpoint'])}</h1>
<p>Window {html.escape(str(report.get('windowStart')))} to {html.escape(str(report.get('windowEnd')))}. Status: <strong>{html.escape(report['status'])}</strong>.
{report['sampleSize']} sample(s) from {report['capturedRequests']} request(s); {report['corruptRecords']} corrupt capture line(s);
baseline {html.escape(str(report.get('baselineRowCount')))} training rows.</p>
<table><tr><th>feature</th><th>kind</th><th>PSI</th><th>noise floor</th><th>threshold</th><th>null share (baseline)</th><th>invalid share (baseline)</th><th>status</th></tr>{''.join(rows)}</table>
<p>Prediction drift: PSI {_fmt(prediction.get('psi'))} ({html.escape(prediction.get('status', 'no prediction baseline'))}).</p>
{quality_html}
<div>{''.join(charts)}</div>
{f'<h2>Problems</h2><ul>{reasons}</ul>' if reasons else ''}
</body></html>
"""
