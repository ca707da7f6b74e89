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
    drifts = []
    for name, feature in report["features"].items():
        out.append(datum("NullShare", feature["nullShare"], "None", Endpoint=endpoint, Feature=name))
        out.append(datum("InvalidShare", feature["invalidShare"], "None", Endpoint=endpoint, Feature=name))
        if feature.get("psi") is not None:
            out.append(datum("FeatureDrift", feature["psi"], "None", Endpoint=endpoint, Feature=name))
            drifts.append(feature["psi"])
    if drifts:
        out.append(datum("MaxFeatureDrift", max(drifts), "None", Endpoint=endpoint))
        out.append(datum("FeaturesOverThreshold", len(report["driftedFeatures"]), "Count", Endpoint=endpoint))
    prediction = report.get("prediction") or {}
    if prediction.get("psi") is not None:
        out.append(datum("PredictionDrift", prediction["psi"], "None", Endpoint=endpoint))
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

WIDTH, HEIGHT, PAD = 360, 150, 24


def chart(title: str, bins: List[Dict[str, Any]]) -> str:
    """Paired bars per bin: baseline (grey) and window (blue) shares, no scripts or external assets."""
    if not bins:
        return "<p>no bins</p>"
    top = max(max(b["baseline"], b["window"]) for b in bins) or 1.0
    slot = (WIDTH - 2 * PAD) / len(bins)
    bar = max(slot / 2 - 1, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(title)}">']
    parts.append(f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>')
    for i, b in enumerate(bins):
        x = PAD + i * slot
        for offset, share, colour in ((0, b["baseline"], "#9e9e9e"), (bar, b["window"], "#1f77b4")):
            h = (HEIGHT - 2 * PAD) * share / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{html.escape(str(b['bin']))}: {'baseline' if offset == 0 else 'window'} {share:.3f}</title></rect>"
            )
    parts.append(f'<text x="{PAD}" y="14" font-size="11">{html.escape(title)}  (grey: baseline, blue: window)</text>')
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
            f"<tr{' class=over' if over else ''}><td>{html.escape(name)}</td><td>{feature['kind']}</td><td>{_fmt(feature.get('psi'))}</td>"
            f"<td>{feature['threshold']:.3f}</td><td>{feature['nullShare']:.4f}</td><td>{feature['invalidShare']:.4f}</td>"
            f"<td>{html.escape(feature.get('status', ''))}</td></tr>"
        )
        charts.append(f"<figure>{chart(name, feature.get('bins', []))}<figcaption>{html.escape(name)}: PSI {_fmt(feature.get('psi'))}</figcaption></figure>")
    prediction = report.get("prediction") or {}
    if prediction.get("bins"):
        charts.append(f"<figure>{chart('prediction', prediction['bins'])}<figcaption>prediction: PSI {_fmt(prediction.get('psi'))}</figcaption></figure>")
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
<table><tr><th>feature</th><th>kind</th><th>PSI</th><th>threshold</th><th>null share</th><th>invalid share</th><th>status</th></tr>{''.join(rows)}</table>
<p>Prediction drift: PSI {_fmt(prediction.get('psi'))} ({html.escape(prediction.get('status', 'no prediction baseline'))}).</p>
{quality_html}
<div>{''.join(charts)}</div>
{f'<h2>Problems</h2><ul>{reasons}</ul>' if reasons else ''}
</body></html>
"""
