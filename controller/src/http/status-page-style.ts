/** Inline so the page needs no other request; light or dark after the viewer's setting. */
export const STATUS_PAGE_CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--panel:#fff;--fg:#1f2328;--muted:#656d76;--line:#d8dee4;
--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#0969da;--neutral:#6e7781}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--panel:#161b22;--fg:#e6edf3;--muted:#8d96a0;
--line:#30363d;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--info:#58a6ff;--neutral:#8d96a0}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px}
header{display:flex;align-items:center;justify-content:space-between;gap:16px;margin-bottom:20px}
h1{font-size:22px;margin:0}h2{font-size:15px;margin:0 0 12px}
.muted,.empty{color:var(--muted)}.empty{margin:0}
.panel,.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:16px}
.panel{margin-top:16px;overflow-x:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:16px}
.label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.value{font-size:26px;font-weight:600}.value.good{color:var(--ok)}.value.bad{color:var(--bad)}.value small{font-size:16px;color:var(--muted);font-weight:400}
.bar{height:6px;border-radius:3px;background:var(--line);margin:6px 0;overflow:hidden}
.bar span{display:block;height:100%;background:var(--info)}.bar.full span{background:var(--warn)}
.count{display:inline-block;min-width:22px;padding:0 7px;border-radius:10px;background:var(--line);
font-size:12px;text-align:center;font-weight:500}
.alert{border-color:var(--bad);border-left-width:6px}.alert h2{color:var(--bad)}
.alert ul{margin:0;padding-left:20px}.alert li{margin:4px 0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:middle;white-space:nowrap}
td.wrap{white-space:normal;overflow-wrap:anywhere;width:100%}
td.text{white-space:normal;overflow-wrap:anywhere;min-width:8em}
th{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
tbody tr:last-child td{border-bottom:0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
tr.given-up{background:color-mix(in srgb,var(--bad) 8%,transparent)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
border:1px solid currentColor;color:var(--neutral);white-space:nowrap}
.badge-ok,.badge-success,.badge-idle{color:var(--ok)}
.badge-degraded,.badge-queued,.badge-starting{color:var(--warn)}
.badge-failing,.badge-failure,.badge-timed-out,.badge-given-up,.badge-exited{color:var(--bad)}
.badge-in-progress,.badge-busy,.badge-wait-normal{color:var(--info)}
.badge-wait-capacity{color:var(--warn)}.badge-wait-trouble{color:var(--bad)}
#overall-status{font-size:15px;padding:4px 14px;text-transform:uppercase;letter-spacing:.05em}`;
