/** The middle value (mean of the two middle ones for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear-interpolated percentile `p` (0–100) of `values`; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** A rate (docs/s) with one decimal, or two significant digits below 1 (a long pair takes seconds). */
export function rate(value: number): string {
  return value < 1 ? value.toPrecision(2) : value.toFixed(1);
}
