// Line charts in plain SVG: a few polylines over the last minutes need no chart library (see the
// server README, "Dashboard"), and building them with DOM calls keeps them inside the page's CSP.
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 80;
/** Points kept per series: two minutes at one per second. */
export const POINTS = 120;

function el(name, attributes = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/**
 * A chart of named series (values pushed once per tick); `limit` draws a dashed line (a configured
 * maximum). The SVG is decorative for screen readers: the card's numbers say the same in text.
 */
export class LineChart {
  constructor(series, options = {}) {
    this.series = series.map((name, i) => ({ name, values: [], line: el('polyline', { class: `s${i}` }) }));
    this.max = options.max;
    this.limit = options.limit;
    this.svg = el('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
    });
    this.svg.append(el('line', { class: 'axis', x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }));
    this.limitLine = el('line', { class: 'limit', x1: 0, x2: WIDTH });
    this.svg.append(this.limitLine, ...this.series.map((s) => s.line));
    this.scale = el('text', { class: 'scale', x: 2, y: 10 });
    this.svg.append(this.scale);
  }

  push(values) {
    for (const [i, s] of this.series.entries()) {
      s.values.push(Number.isFinite(values[i]) ? values[i] : 0);
      if (s.values.length > POINTS) s.values.shift();
    }
    this.draw();
  }

  draw() {
    const peak = Math.max(1, this.limit ?? 0, ...this.series.flatMap((s) => s.values));
    const top = this.max ?? niceCeiling(peak);
    const y = (v) => HEIGHT - 2 - (Math.min(v, top) / top) * (HEIGHT - 14);
    const x = (i) => (i / (POINTS - 1)) * WIDTH;
    for (const s of this.series) {
      const offset = POINTS - s.values.length;
      s.line.setAttribute(
        'points',
        s.values.map((v, i) => `${x(i + offset).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
      );
    }
    const hasLimit = this.limit !== undefined && this.limit > 0;
    this.limitLine.setAttribute('visibility', hasLimit ? 'visible' : 'hidden');
    if (hasLimit) {
      this.limitLine.setAttribute('y1', y(this.limit).toFixed(1));
      this.limitLine.setAttribute('y2', y(this.limit).toFixed(1));
    }
    this.scale.textContent = `max ${formatNumber(top)}`;
  }
}

function niceCeiling(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** Numbers as people read them: 3 significant digits, thousands grouped. */
export function formatNumber(value, digits = 3) {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}
