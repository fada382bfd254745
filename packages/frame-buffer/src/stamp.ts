/**
 * A frame stamp drawn into the pixels: the frame's sequence number and the wall-clock time it was
 * made, as big black and white cells that survive H.264 and JPEG q65, with a CRC so the reader
 * knows a decode is valid. Whoever decodes the picture can tell which frame it is and when it was
 * made, without help from any header.
 *
 * Layout, at the bottom-left of the frame: two rows of 41 square cells, read row by row. Cell 0 is
 * white and cell 1 black (the reader's calibration), then 64 payload bits (the seq's low 20 bits,
 * then the 44-bit ms timestamp, most significant first), then a 16-bit CRC-16/CCITT of the payload.
 * Here, beside the drawing helpers, so that the demo source (@cctv/capture) and the test camera
 * (@cctv/testbed) draw the same stamp and any viewer can read it.
 */

/** What a stamp carries. */
export interface Stamp {
  /** The frame's sequence number modulo 2^20 (wraps after ~19 h at 15 fps). */
  seq: number;
  /** When the frame was made: ms since the epoch (integer, below 2^44: until the year 2527). */
  timestamp: number;
}

/** An image to draw into or read from: packed, row-major, `channels` bytes per pixel (RGB: 3). */
export interface StampImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 3 (RGB, the default), 4 (RGBA) or 1 (grey). */
  channels?: number;
}

export const STAMP_SEQ_BITS = 20;
export const STAMP_TIME_BITS = 44;
const CRC_BITS = 16;
const COLUMNS = 41;
const ROWS = 2;
const CELLS = COLUMNS * ROWS; // 2 calibration + 64 payload + 16 CRC
/** The narrowest frame a stamp fits (cells at least 4 px wide). */
export const STAMP_MIN_WIDTH = COLUMNS * 4;

/** Where the stamp lies in a frame of this size: cell size and top-left corner. */
export function stampGeometry(width: number, height: number): { cell: number; x: number; y: number; width: number; height: number } {
  let cell = Math.floor(width / COLUMNS);
  // Cells on the 8×8 grid of JPEG blocks (and H.264 macroblocks) keep edges out of the blocks.
  if (cell >= 16) cell -= cell % 8;
  if (cell < 4 || height < ROWS * cell) throw new Error(`a ${width}x${height} frame is too small for a stamp (at least ${STAMP_MIN_WIDTH}x${ROWS * 4})`);
  let y = height - ROWS * cell;
  if (y >= 16) y -= y % 16;
  return { cell, x: 0, y, width: COLUMNS * cell, height: ROWS * cell };
}

/** Draws the stamp into the image (in place), over whatever is there. */
export function drawStamp(image: StampImage, stamp: Stamp): void {
  const { timestamp } = stamp;
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp >= 2 ** STAMP_TIME_BITS) {
    throw new Error(`stamp timestamp ${timestamp}: expected an integer ms count from 0 to 2^44`);
  }
  const bits = [1, 0, ...payloadBits(stamp)];
  const crc = crc16(bitsToBytes(bits.slice(2)));
  for (let i = CRC_BITS - 1; i >= 0; i--) bits.push((crc >> i) & 1);
  const { cell, x, y } = stampGeometry(image.width, image.height);
  const channels = image.channels ?? 3;
  const rowBytes = image.width * channels;
  for (let i = 0; i < CELLS; i++) {
    const value = bits[i] ? 255 : 0;
    const left = x + (i % COLUMNS) * cell;
    const top = y + Math.floor(i / COLUMNS) * cell;
    for (let row = top; row < top + cell; row++) {
      const start = row * rowBytes + left * channels;
      image.data.fill(value, start, start + cell * channels);
      // Keep an alpha channel opaque.
      if (channels === 4) for (let p = start + 3; p < start + cell * 4; p += 4) image.data[p] = 255;
    }
  }
}

/**
 * Reads a stamp from a decoded picture, or undefined when there is none or it does not check out
 * (the calibration cells lack contrast, or the CRC does not match).
 */
export function readStamp(image: StampImage): Stamp | undefined {
  let geometry: ReturnType<typeof stampGeometry>;
  try {
    geometry = stampGeometry(image.width, image.height);
  } catch {
    return undefined;
  }
  const { cell, x, y } = geometry;
  const channels = image.channels ?? 3;
  const rowBytes = image.width * channels;
  // The middle half of each cell: edges blur in H.264 and ring in JPEG; the middle stays flat.
  const inset = Math.floor(cell / 4);
  const levels: number[] = [];
  for (let i = 0; i < CELLS; i++) {
    const left = x + (i % COLUMNS) * cell + inset;
    const top = y + Math.floor(i / COLUMNS) * cell + inset;
    let sum = 0;
    let count = 0;
    for (let row = top; row < top + cell - 2 * inset; row++) {
      for (let col = left; col < left + cell - 2 * inset; col++) {
        const p = row * rowBytes + col * channels;
        // Green alone is a fine luma here: the cells are black or white.
        sum += channels >= 3 ? image.data[p + 1]! : image.data[p]!;
        count++;
      }
    }
    levels.push(sum / count);
  }
  const white = levels[0]!;
  const black = levels[1]!;
  if (white - black < 96) return undefined;
  const threshold = (white + black) / 2;
  const bits: number[] = levels.slice(2).map((level) => (level > threshold ? 1 : 0));
  const payload = bits.slice(0, STAMP_SEQ_BITS + STAMP_TIME_BITS);
  const crc = bits.slice(STAMP_SEQ_BITS + STAMP_TIME_BITS).reduce((acc, bit) => (acc << 1) | bit, 0);
  if (crc !== crc16(bitsToBytes(payload))) return undefined;
  let seq = 0;
  for (const bit of payload.slice(0, STAMP_SEQ_BITS)) seq = seq * 2 + bit;
  let timestamp = 0;
  for (const bit of payload.slice(STAMP_SEQ_BITS)) timestamp = timestamp * 2 + bit;
  return { seq, timestamp };
}

/** The difference b − a of two stamp seqs, across a wrap of the 20-bit counter. */
export function stampSeqDelta(a: number, b: number): number {
  const span = 2 ** STAMP_SEQ_BITS;
  const d = (((b - a) % span) + span) % span;
  return d >= span / 2 ? d - span : d;
}

function payloadBits({ seq, timestamp }: Stamp): number[] {
  const bits: number[] = [];
  const s = ((seq % 2 ** STAMP_SEQ_BITS) + 2 ** STAMP_SEQ_BITS) % 2 ** STAMP_SEQ_BITS;
  for (let i = STAMP_SEQ_BITS - 1; i >= 0; i--) bits.push(Math.floor(s / 2 ** i) % 2);
  // 44 bits exceed 32-bit integer operators: plain arithmetic, exact for integers below 2^53.
  for (let i = STAMP_TIME_BITS - 1; i >= 0; i--) bits.push(Math.floor(timestamp / 2 ** i) % 2);
  return bits;
}

function bitsToBytes(bits: number[]): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => (bytes[i >> 3]! |= bit << (7 - (i & 7))));
  return bytes;
}

/** CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF). */
function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
