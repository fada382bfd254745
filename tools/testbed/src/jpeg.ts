/**
 * The size of a well-formed baseline or progressive JPEG (SOI at the start, EOI at the end, a
 * SOF0/1/2 marker before the scan), or undefined for anything else.
 */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const n = bytes.byteLength;
  if (n < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[n - 2] !== 0xff || bytes[n - 1] !== 0xd9) return undefined;
  let i = 2;
  while (i + 9 < n) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
    }
    if (marker === 0xda) return undefined; // scan data before any frame header
    i += 2 + length;
  }
  return undefined;
}
