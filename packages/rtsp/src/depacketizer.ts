import type { AccessUnit, RtpPacket, VideoCodec, VideoParameters } from './types.ts';

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** Which parameter set a NAL unit is. */
export type ParameterSetKind = 'vps' | 'sps' | 'pps';

export interface DepacketizerHandlers {
  onAccessUnit(unit: AccessUnit): void;
  /** The first parameters, and every change of them (a new SPS: the size may have changed). */
  onParameters?(parameters: VideoParameters): void;
}

/**
 * RTP packets of one video track → access units. An access unit ends at the marker bit, or when a
 * packet with another timestamp comes (a camera that never sets the marker). Until the first
 * keyframe with its parameter sets, and after a lost packet until the next keyframe, nothing is
 * handed on: what follows would not decode. Parameter sets sent in an "access unit" of their own
 * (TP-Link, Reolink mark them) are kept and put before the next picture.
 */
export abstract class Depacketizer {
  abstract readonly codec: VideoCodec;
  /** The parameter sets every keyframe must carry, in order. */
  protected abstract readonly requiredSets: readonly ParameterSetKind[];
  #nals: Uint8Array[] = [];
  #fragments: Uint8Array[] = [];
  #carried: Uint8Array[] = [];
  #timestamp: number | undefined;
  #lastSequence: number | undefined;
  #lost = false;
  #waitingForKeyframe = true;
  readonly #sets = new Map<ParameterSetKind, Uint8Array>();
  #setsChanged = false;
  #parameters: VideoParameters | undefined;
  #announced: VideoParameters | undefined;
  #firstTimestamp: number | undefined;
  #unwrapped = 0;
  #lastTimestamp = 0;

  constructor(
    private readonly clockRate: number,
    private readonly handlers: DepacketizerHandlers,
  ) {}

  /** The parameters in force, once an SPS (and the other sets) is known. */
  get parameters(): VideoParameters | undefined {
    return this.#parameters;
  }

  /** Parameter sets from the SDP (`sprop-parameter-sets`, `sprop-vps/sps/pps`), NAL units without start codes. */
  seedParameterSets(nals: Uint8Array[]): void {
    for (const nal of nals) {
      const kind = this.parameterSetKind(this.nalType(nal));
      if (kind) this.#setParameterSet(kind, nal);
    }
  }

  push(packet: RtpPacket, receivedAt: number): void {
    const gap = this.#lastSequence !== undefined && packet.sequence !== ((this.#lastSequence + 1) & 0xffff);
    this.#lastSequence = packet.sequence;
    if (gap) {
      // The lost packet belongs to the picture being assembled or, if the timestamp moved on, to
      // either side of the boundary: both are dropped.
      this.#lost = true;
      this.#fragments = [];
    }
    if (this.#nals.length > 0 && packet.timestamp !== this.#timestamp) {
      this.#flush(receivedAt);
      if (gap) this.#lost = true;
    }
    this.#timestamp = packet.timestamp;
    this.unpack(packet.payload);
    if (packet.marker) this.#flush(receivedAt);
  }

  /** A whole NAL unit out of a packet (copied: the packet's bytes are the socket's). */
  protected addNal(nal: Uint8Array): void {
    if (nal.byteLength > 0) this.#nals.push(nal);
  }

  /** The NAL units of an aggregation packet (STAP-A, AP) from `offset` on: each after its 16-bit size. */
  protected addAggregated(payload: Uint8Array, offset: number): void {
    while (offset + 2 <= payload.byteLength) {
      const size = (payload[offset]! << 8) | payload[offset + 1]!;
      offset += 2;
      if (size === 0 || offset + size > payload.byteLength) return;
      this.addNal(payload.slice(offset, offset + size));
      offset += size;
    }
  }

  /**
   * One fragment of a NAL unit (FU-A, FU): `header()` rebuilds the unit's own header on its first
   * fragment; the unit is added with its last. Fragments whose start was lost are ignored.
   */
  protected addFragment(start: boolean, end: boolean, header: () => Uint8Array, body: Uint8Array): void {
    if (start) this.#fragments = [header()];
    else if (this.#fragments.length === 0) return;
    this.#fragments.push(body.slice());
    if (end) {
      this.addNal(concatBytes(this.#fragments));
      this.#fragments = [];
    }
  }

  protected abstract nalType(nal: Uint8Array): number;
  protected abstract unpack(payload: Uint8Array): void;
  protected abstract isPicture(type: number): boolean;
  protected abstract isKeyframe(type: number): boolean;
  protected abstract isDelimiter(type: number): boolean;
  protected abstract parameterSetKind(type: number): ParameterSetKind | undefined;
  /** Parameters from a complete set of parameter sets (in `requiredSets` order); throws if the SPS cannot be read. */
  protected abstract describe(sets: Uint8Array[]): VideoParameters;

  #setParameterSet(kind: ParameterSetKind, nal: Uint8Array): void {
    const known = this.#sets.get(kind);
    if (known && equalBytes(known, nal)) return;
    this.#sets.set(kind, nal);
    this.#setsChanged = true;
  }

  #flush(receivedAt: number): void {
    const nals = this.#nals;
    this.#nals = [];
    if (this.#lost) {
      this.#lost = false;
      this.#waitingForKeyframe = true;
      this.#carried = [];
      return;
    }
    let picture = false;
    let keyframe = false;
    const kept: Uint8Array[] = [];
    const present = new Set<ParameterSetKind>();
    for (const nal of [...this.#carried, ...nals]) {
      const type = this.nalType(nal);
      if (this.isDelimiter(type)) continue;
      const kind = this.parameterSetKind(type);
      if (kind) {
        this.#setParameterSet(kind, nal);
        present.add(kind);
      }
      picture ||= this.isPicture(type);
      keyframe ||= this.isKeyframe(type);
      kept.push(nal);
    }
    if (!picture) {
      this.#carried = kept;
      return;
    }
    this.#carried = [];
    this.#updateParameters();
    const parameters = this.#parameters;
    if (this.#waitingForKeyframe) {
      if (!keyframe || !parameters) return;
      this.#waitingForKeyframe = false;
    }
    if (!parameters) return;
    // A keyframe carries its parameter sets, so that a decoder or viewer can start at any keyframe.
    const missing = keyframe ? this.requiredSets.filter((kind) => !present.has(kind)).map((kind) => this.#sets.get(kind)!) : [];
    if (parameters !== this.#announced) {
      this.#announced = parameters;
      this.handlers.onParameters?.(parameters);
    }
    const timestamp = this.#timestamp!;
    this.handlers.onAccessUnit({
      codec: this.codec,
      data: annexB([...missing, ...kept]),
      keyframe,
      rtpTimestamp: timestamp,
      timestampMs: this.#mediaTimeMs(timestamp),
      receivedAt,
      parameters,
    });
  }

  #updateParameters(): void {
    if (!this.#setsChanged) return;
    const sets = this.requiredSets.map((kind) => this.#sets.get(kind));
    if (sets.some((set) => !set)) return;
    this.#setsChanged = false;
    try {
      this.#parameters = this.describe(sets as Uint8Array[]);
    } catch {
      // An SPS we cannot read: keep the last parameters (the decoder reads the stream itself).
    }
  }

  /** The RTP timestamp unwrapped (signed 32-bit steps: B-frames step back) and turned into ms since the first. */
  #mediaTimeMs(timestamp: number): number {
    if (this.#firstTimestamp === undefined) {
      this.#firstTimestamp = timestamp;
      this.#lastTimestamp = timestamp;
    }
    this.#unwrapped += (timestamp - this.#lastTimestamp) | 0;
    this.#lastTimestamp = timestamp;
    return (this.#unwrapped * 1000) / this.clockRate;
  }
}

/** NAL units → Annex-B bytes (4-byte start codes). */
export function annexB(nals: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(nals.reduce((sum, nal) => sum + 4 + nal.byteLength, 0));
  let offset = 0;
  for (const nal of nals) {
    out.set(START_CODE, offset);
    out.set(nal, offset + 4);
    offset += 4 + nal.byteLength;
  }
  return out;
}

/** The NAL units of Annex-B bytes (3- or 4-byte start codes), as views into them. */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.byteLength) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) nals.push(data.subarray(start, i > 0 && data[i - 1] === 0 ? i - 1 : i));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < data.byteLength) nals.push(data.subarray(start));
  return nals;
}

/** Annex-B bytes → NAL units each after its 4-byte big-endian length: what WebCodecs decodes given an avcC/hvcC `description`. */
export function lengthPrefixed(data: Uint8Array): Uint8Array {
  const nals = splitAnnexB(data);
  const out = new Uint8Array(nals.reduce((sum, nal) => sum + 4 + nal.byteLength, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const nal of nals) {
    view.setUint32(offset, nal.byteLength);
    out.set(nal, offset + 4);
    offset += 4 + nal.byteLength;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export function hex2(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
