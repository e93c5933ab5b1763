import { describe, expect, it } from 'vitest';
import { bfloat16Bits, float16Bits, widen16 } from '../src/float16';

describe('float16Bits', () => {
  it('rounds to the nearest binary16 value, ties to even', () => {
    // Bit patterns from the IEEE 754 binary16 tables.
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(1 / 3)).toBe(0x3555);
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, rounds to even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds to even (up)
    expect(float16Bits(0)).toBe(0);
    expect(float16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(float16Bits(1e6)).toBe(0x7c00);
  });
});

describe('bfloat16Bits', () => {
  it('keeps the top 16 bits of float32, rounded to nearest even', () => {
    expect(bfloat16Bits(1)).toBe(0x3f80);
    expect(bfloat16Bits(-2)).toBe(0xc000);
    expect(bfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, rounds to even (down)
    expect(bfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, rounds to even (up)
    expect(bfloat16Bits(1 + 2 ** -7 + 2 ** -9)).toBe(0x3f81); // below the tie
    expect(bfloat16Bits(Number.POSITIVE_INFINITY)).toBe(0x7f80);
    expect(bfloat16Bits(3.4e38)).toBe(0x7f80); // past the largest bfloat16: infinity
    expect(Number.isNaN(widen16('BF16', le16(bfloat16Bits(Number.NaN)))[0])).toBe(true);
  });
});

/** One 16-bit pattern as little-endian bytes. */
function le16(bits: number): Uint8Array {
  return Uint8Array.of(bits & 0xff, bits >>> 8);
}

describe('widen16', () => {
  it('widens every float16 pattern to the value that rounds back to it', () => {
    const all = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) all.set(le16(h), h * 2);
    const values = widen16('F16', all);
    const wrong: string[] = [];
    for (let h = 0; h < 65536; h++) {
      const nan = ((h >>> 10) & 0x1f) === 0x1f && (h & 0x3ff) !== 0;
      const ok = nan ? Number.isNaN(values[h]) : float16Bits(values[h]!) === h;
      if (!ok) wrong.push(`0x${h.toString(16)} -> ${values[h]}`);
    }
    expect(wrong).toEqual([]);
    expect(values[0x3c00]).toBe(1);
    expect(values[0x0001]).toBe(2 ** -24);
    expect(values[0xfbff]).toBe(-65504);
  });

  it('widens bfloat16 exactly (the top half of a float32)', () => {
    const values = widen16('BF16', Uint8Array.of(...le16(0x3f80), ...le16(0xc0a0), ...le16(0x0001)));
    expect(Array.from(values)).toEqual([1, -5, 2 ** -133]);
  });
});
