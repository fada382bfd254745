import type { RtpPacket } from './types.ts';

/** Parses an RTP packet (RFC 3550 §5.1): CSRCs, a header extension and padding skipped. Undefined if it is not one. */
export function parseRtp(packet: Uint8Array): RtpPacket | undefined {
  if (packet.byteLength < 12 || packet[0]! >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.byteLength < offset + 4) return undefined;
    offset += 4 + view.getUint16(offset + 2) * 4;
  }
  const end = packet[0]! & 0x20 ? packet.byteLength - packet[packet.byteLength - 1]! : packet.byteLength;
  if (offset > end) return undefined;
  return {
    marker: (packet[1]! & 0x80) !== 0,
    payloadType: packet[1]! & 0x7f,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: packet.subarray(offset, end),
  };
}
