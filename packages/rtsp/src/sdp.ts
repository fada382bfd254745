import { RtspError } from './errors.ts';

/** One m= section of an SDP (RFC 4566), for its first payload type. */
export interface SdpMedia {
  /** `video`, `audio`, `application`… */
  kind: string;
  payloadType: number;
  /** The encoding name as the SDP spells it (`H264`, `H265`, `JPEG`…), from a=rtpmap or the static payload type. */
  encoding: string;
  clockRate: number;
  /** a=fmtp parameters of the payload type, names lower-cased. */
  format: Record<string, string>;
  /** a=control, as written. */
  control?: string;
}

export interface Sdp {
  /** The session-level a=control (the aggregate URL for PLAY). */
  control?: string;
  media: SdpMedia[];
}

/** Static video payload types (RFC 3551 §6) a camera may use without an a=rtpmap. */
const STATIC_TYPES: Record<number, { encoding: string; clockRate: number }> = {
  26: { encoding: 'JPEG', clockRate: 90000 },
  31: { encoding: 'H261', clockRate: 90000 },
  32: { encoding: 'MPV', clockRate: 90000 },
  33: { encoding: 'MP2T', clockRate: 90000 },
  34: { encoding: 'H263', clockRate: 90000 },
};

export function parseSdp(text: string): Sdp {
  let control: string | undefined;
  const sections: Array<SdpMedia & { rtpmaps: Map<number, string>; fmtps: Map<number, string> }> = [];
  let media: (typeof sections)[number] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [kind, , , format] = line.slice(2).split(/\s+/);
      const payloadType = Number(format);
      media = { kind: kind ?? '', payloadType, encoding: '', clockRate: 0, format: {}, rtpmaps: new Map(), fmtps: new Map() };
      sections.push(media);
    } else if (line.startsWith('a=control:')) {
      if (media) media.control = line.slice(10).trim();
      else control = line.slice(10).trim();
    } else if (media && line.startsWith('a=rtpmap:')) {
      const match = /^(\d+)\s+(.*)$/.exec(line.slice(9));
      if (match) media.rtpmaps.set(Number(match[1]), match[2]!);
    } else if (media && line.startsWith('a=fmtp:')) {
      const match = /^(\d+)\s+(.*)$/.exec(line.slice(7));
      if (match) media.fmtps.set(Number(match[1]), match[2]!);
    }
  }
  if (sections.length === 0 && !/^v=0/m.test(text)) throw new RtspError('protocol', 'the DESCRIBE answer is not an SDP');
  for (const entry of sections) {
    const rtpmap = entry.rtpmaps.get(entry.payloadType);
    const [encoding, clockRate] = rtpmap ? rtpmap.split('/') : [];
    const fallback = STATIC_TYPES[entry.payloadType];
    entry.encoding = encoding?.trim() || fallback?.encoding || '';
    entry.clockRate = Number(clockRate) || fallback?.clockRate || 90000;
    for (const pair of (entry.fmtps.get(entry.payloadType) ?? '').split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) entry.format[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim();
    }
  }
  return {
    ...(control !== undefined ? { control } : {}),
    media: sections.map(({ kind, payloadType, encoding, clockRate, format, control }) => ({ kind, payloadType, encoding, clockRate, format, ...(control !== undefined ? { control } : {}) })),
  };
}

/** Base64 parameter sets of an fmtp value (`sprop-parameter-sets=Z0LAH…,aM4…`), decoded; empty ones left out. */
export function decodeParameterSets(value: string | undefined): Uint8Array[] {
  if (!value) return [];
  return value
    .split(',')
    .map((part) => new Uint8Array(Buffer.from(part.trim(), 'base64')))
    .filter((nal) => nal.byteLength > 0);
}
