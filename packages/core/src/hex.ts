const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Lower-case hex of a digest (Web Crypto returns an ArrayBuffer; core has no Buffer). */
export function hex(buffer: ArrayBuffer): string {
  let out = '';
  for (const byte of new Uint8Array(buffer)) out += HEX[byte];
  return out;
}
