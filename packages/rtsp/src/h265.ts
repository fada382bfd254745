import { BitReader, unescapeRbsp } from './bits.ts';
import { concatBytes, Depacketizer, hex2, type ParameterSetKind } from './depacketizer.ts';
import type { VideoParameters } from './types.ts';

const NAL_VPS = 32;
const NAL_SPS = 33;
const NAL_PPS = 34;
const NAL_AUD = 35;
const AP = 48;
const FU = 49;

/** What the size, the codec string and hvcC need from an H.265 SPS. */
export interface H265Sps {
  profileSpace: number;
  tierFlag: number;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag j at bit 31 − j. */
  compatibilityFlags: number;
  /** The 48 bits of general constraint flags, as 6 bytes. */
  constraintBytes: Uint8Array;
  levelIdc: number;
  maxSubLayers: number;
  temporalIdNesting: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  width: number;
  height: number;
}

/** Reads an SPS NAL unit (2-byte header included) as far as the bit depths (H.265 §7.3.2.2.1, conformance window §7.4.3.2.1). */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  if (((nal[0]! >> 1) & 0x3f) !== NAL_SPS) throw new Error(`not an SPS (NAL type ${(nal[0]! >> 1) & 0x3f})`);
  const rbsp = unescapeRbsp(nal.subarray(2));
  const r = new BitReader(rbsp);
  r.bits(4); // sps_video_parameter_set_id
  const maxSubLayers = r.bits(3) + 1;
  const temporalIdNesting = r.bit();
  const profileSpace = r.bits(2);
  const tierFlag = r.bit();
  const profileIdc = r.bits(5);
  const compatibilityFlags = r.bits(32);
  // Byte-aligned up to here: the 48 general constraint flags are bytes 6–11 of the RBSP.
  const constraintBytes = rbsp.slice(6, 12);
  r.skip(48);
  const levelIdc = r.bits(8);
  const subLayerProfilePresent: number[] = [];
  const subLayerLevelPresent: number[] = [];
  for (let i = 0; i < maxSubLayers - 1; i++) {
    subLayerProfilePresent.push(r.bit());
    subLayerLevelPresent.push(r.bit());
  }
  if (maxSubLayers > 1) for (let i = maxSubLayers - 1; i < 8; i++) r.skip(2);
  for (let i = 0; i < maxSubLayers - 1; i++) {
    if (subLayerProfilePresent[i]) r.skip(88);
    if (subLayerLevelPresent[i]) r.skip(8);
  }
  r.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.ue();
  let separateColourPlane = 0;
  if (chromaFormatIdc === 3) separateColourPlane = r.bit();
  let width = r.ue();
  let height = r.ue();
  if (r.bit()) {
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidth = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeight = chromaArrayType === 1 ? 2 : 1;
    width -= subWidth * (left + right);
    height -= subHeight * (top + bottom);
  }
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;
  return { profileSpace, tierFlag, profileIdc, compatibilityFlags, constraintBytes, levelIdc, maxSubLayers, temporalIdNesting, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height };
}

/**
 * `hvc1.<space><profile>.<compatibility, bit-reversed, hex>.<L|H><level>.<constraint bytes, trailing
 * zero bytes left out>` (ISO/IEC 14496-15 Annex E), e.g. `hvc1.1.6.L93.B0`.
 */
export function h265CodecString(sps: H265Sps): string {
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) if (sps.compatibilityFlags & (2 ** (31 - bit))) reversed += 2 ** bit;
  const constraints = [...sps.constraintBytes];
  while (constraints.length > 0 && constraints.at(-1) === 0) constraints.pop();
  return [
    'hvc1',
    `${['', 'A', 'B', 'C'][sps.profileSpace]}${sps.profileIdc}`,
    reversed.toString(16).toUpperCase(),
    `${sps.tierFlag ? 'H' : 'L'}${sps.levelIdc}`,
    ...constraints.map(hex2),
  ].join('.');
}

/** The HEVCDecoderConfigurationRecord (hvcC) for one VPS, SPS and PPS, NAL lengths of 4 bytes. */
export function hevcDecoderConfiguration(vpsNal: Uint8Array, spsNal: Uint8Array, ppsNal: Uint8Array, sps: H265Sps = parseH265Sps(spsNal)): Uint8Array {
  const header = new Uint8Array(23);
  const view = new DataView(header.buffer);
  header[0] = 1;
  header[1] = (sps.profileSpace << 6) | (sps.tierFlag << 5) | sps.profileIdc;
  view.setUint32(2, sps.compatibilityFlags);
  header.set(sps.constraintBytes, 6);
  header[12] = sps.levelIdc;
  view.setUint16(13, 0xf000); // min_spatial_segmentation_idc 0
  header[15] = 0xfc; // parallelismType 0 (unknown)
  header[16] = 0xfc | sps.chromaFormatIdc;
  header[17] = 0xf8 | (sps.bitDepthLuma - 8);
  header[18] = 0xf8 | (sps.bitDepthChroma - 8);
  view.setUint16(19, 0); // avgFrameRate unknown
  header[21] = (sps.maxSubLayers << 3) | (sps.temporalIdNesting << 2) | 3;
  header[22] = 3; // arrays: VPS, SPS, PPS
  const array = (type: number, nal: Uint8Array) => concatBytes([Uint8Array.of(0x80 | type, 0, 1, nal.byteLength >> 8, nal.byteLength & 0xff), nal]);
  return concatBytes([header, array(NAL_VPS, vpsNal), array(NAL_SPS, spsNal), array(NAL_PPS, ppsNal)]);
}

/** H.265 parameters from a VPS, an SPS and a PPS. */
export function h265Parameters(vpsNal: Uint8Array, spsNal: Uint8Array, ppsNal: Uint8Array): VideoParameters {
  const sps = parseH265Sps(spsNal);
  return {
    codec: 'h265',
    codecString: h265CodecString(sps),
    width: sps.width,
    height: sps.height,
    parameterSets: [vpsNal, spsNal, ppsNal],
    description: hevcDecoderConfiguration(vpsNal, spsNal, ppsNal, sps),
  };
}

/**
 * RFC 7798 without DONL (sprop-max-don-diff 0, refused at SETUP otherwise): single NAL unit
 * packets, aggregation packets (AP) and fragmentation units (FU); PACI packets are skipped.
 */
export class H265Depacketizer extends Depacketizer {
  readonly codec = 'h265';
  protected readonly requiredSets: readonly ParameterSetKind[] = ['vps', 'sps', 'pps'];

  protected nalType(nal: Uint8Array): number {
    return (nal[0]! >> 1) & 0x3f;
  }

  protected unpack(payload: Uint8Array): void {
    if (payload.byteLength < 3) return;
    const type = (payload[0]! >> 1) & 0x3f;
    if (type < AP) {
      this.addNal(payload.slice());
    } else if (type === AP) {
      this.addAggregated(payload, 2);
    } else if (type === FU) {
      const fuHeader = payload[2]!;
      this.addFragment((fuHeader & 0x80) !== 0, (fuHeader & 0x40) !== 0, () => Uint8Array.of((payload[0]! & 0x81) | ((fuHeader & 0x3f) << 1), payload[1]!), payload.subarray(3));
    }
  }

  protected isPicture(type: number): boolean {
    return type <= 31;
  }

  /** IRAP pictures: BLA, IDR, CRA (16–23). */
  protected isKeyframe(type: number): boolean {
    return type >= 16 && type <= 23;
  }

  protected isDelimiter(type: number): boolean {
    return type === NAL_AUD;
  }

  protected parameterSetKind(type: number): ParameterSetKind | undefined {
    return type === NAL_VPS ? 'vps' : type === NAL_SPS ? 'sps' : type === NAL_PPS ? 'pps' : undefined;
  }

  protected describe([vps, sps, pps]: Uint8Array[]): VideoParameters {
    return h265Parameters(vps!, sps!, pps!);
  }
}
