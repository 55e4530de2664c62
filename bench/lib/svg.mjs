// Line plots as plain SVG (no dependencies): the scale curves of the report.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v);
}

/**
 * @param {{ title: string, xLabel: string, yLabel: string, logX?: boolean,
 *   series: { name: string, points: [number, number][], dots?: boolean }[] }} plot
 */
export function linePlot({ title, xLabel, yLabel, logX = false, series }) {
  const W = 720, H = 320, L = 64, B = 40, T = 30, R = 20;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map(([x]) => x);
  const xMin = logX ? Math.max(1, Math.min(...xs, 1)) : 0;
  const xMax = Math.max(...xs, xMin + 1);
  const yMax = niceMax(Math.max(...pts.map(([, y]) => y), 0));
  // Below zero only where a series goes there (a MemAvailable drop that was a rise).
  const low = Math.min(...pts.map(([, y]) => y), 0);
  const yMin = low < 0 ? -niceMax(-low) : 0;
  const fx = logX ? (v) => Math.log10(Math.max(v, xMin)) : (v) => v;
  const x = (v) => L + ((fx(v) - fx(xMin)) / Math.max(1e-9, fx(xMax) - fx(xMin))) * (W - L - R);
  const y = (v) => H - B - ((v - yMin) / (yMax - yMin)) * (H - B - T);
  const xTickValues = logX
    ? Array.from({ length: Math.floor(Math.log10(xMax)) + 1 }, (_, i) => 10 ** i).flatMap((d) => [d, 2 * d, 5 * d]).filter((v) => v >= xMin && v <= xMax)
    : Array.from({ length: 6 }, (_, i) => Math.round((xMax * i) / 5));
  const yTicks = Array.from({ length: 6 }, (_, i) => yMin + ((yMax - yMin) * i) / 5).map((v) =>
    `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${+v.toPrecision(3)}</text>`);
  const xTicks = xTickValues.map((v) => `<text x="${x(v).toFixed(1)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${v}</text>`);
  const lines = series.map((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    const poly = s.dots ? '' : `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${p.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`;
    const dots = p.map(([a, b]) => `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="${s.dots ? 1.5 : 3}" fill="${c}"/>`).join('');
    const legend = `<text x="${W - R - 8}" y="${T + 14 + 14 * i}" font-size="11" text-anchor="end" fill="${c}">${esc(s.name)}</text>`;
    return poly + dots + legend;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="18" font-size="13" text-anchor="middle">${esc(title)}</text>
${yTicks.join('\n')}
${xTicks.join('\n')}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="black"/>
<text x="${(L + W - R) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}${logX ? ' (log scale)' : ''}</text>
<text x="14" y="${T + (H - B - T) / 2}" font-size="11" transform="rotate(-90 14 ${T + (H - B - T) / 2})" text-anchor="middle">${esc(yLabel)}</text>
${lines.join('\n')}
</svg>
`;
}
