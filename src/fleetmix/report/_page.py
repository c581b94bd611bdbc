"""The static parts of the HTML report: its style sheet and the Plotly config every chart uses."""

from __future__ import annotations

PAGE_CSS = """
:root { --ink: #1d2b36; --muted: #6b7780; --line: #e3e7ea; --accent: #264653;
        --good: #1e7d4f; --warn: #a86400; --bad: #b3261e; --bg: #f6f7f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { background: var(--accent); color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 2px 0 4px; font-size: 26px; }
header .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px;
                 opacity: .8; }
header .meta { opacity: .85; }
nav { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid
      var(--line); padding: 8px 32px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
nav a { color: var(--accent); text-decoration: none; font-weight: 600; font-size: 13px; }
main { max-width: 1240px; margin: 0 auto; padding: 8px 24px 24px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          padding: 18px 22px; margin: 18px 0; }
h2 { margin: 0 0 6px; font-size: 19px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
p.intro { color: var(--muted); margin: 0 0 10px; }
p.note { color: var(--muted); font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
        min-width: 150px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; }
.card .value { font-size: 18px; font-weight: 600; }
figure.chart { margin: 8px 0 14px; }
.pair { display: grid; grid-template-columns: 1fr 2fr; gap: 16px; align-items: start; }
.pair > div { min-width: 0; }
figure.chart figcaption { color: var(--muted); font-size: 13px; }
.fm-chart { width: 100%; min-height: 200px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 4px 0 10px; }
caption { caption-side: bottom; text-align: left; color: var(--muted); padding-top: 4px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; white-space: nowrap; }
td.wrap { white-space: normal; min-width: 16em; }
th { background: #fafbfc; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.good { color: var(--good); font-weight: 600; }
td.warn { color: var(--warn); font-weight: 600; }
td.bad { color: var(--bad); font-weight: 600; }
td.muted { color: var(--muted); }
details summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
footer { max-width: 1240px; margin: 0 auto; padding: 0 24px 30px; color: var(--muted);
         font-size: 12px; }
footer p { margin: 2px 0; }
"""

TEMPLATE = "plotly_white"  # the Plotly template of every chart (set in the browser)

# Every figure is drawn with this; "toImage" works offline (it renders in the browser).
PLOT_CONFIG_JS = ("const FLEETMIX_PLOT_CONFIG = {responsive: true, displaylogo: false, "
                  "modeBarButtonsToRemove: ['select2d', 'lasso2d']};")
