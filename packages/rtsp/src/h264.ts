import { BitReader, unescapeRbsp } from './bits.ts';
import { concatBytes, Depacketizer, hex2, type ParameterSetKind } from './depacketizer.ts';
import type { VideoParameters } from './types.ts';

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const STAP_A = 24;
const FU_A = 28;

/** Profiles whose SPS carries chroma format and bit depths (H.264 §7.3.2.1.1), and whose avcC has the extension. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** What the size and the codec string need from an H.264 SPS. */
export interface H264Sps {
  profileIdc: number;
  /** constraint_set0..5 flags and the 2 reserved bits, as the byte in the SPS. */
  constraintFlags: number;
  levelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  width: number;
  height: number;
}

/** Reads an SPS NAL unit (header byte included) far enough for the picture size (H.264 §7.3.2.1.1, §7.4.2.1.1 cropping). */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if ((nal[0]! & 0x1f) !== NAL_SPS) throw new Error(`not an SPS (NAL type ${nal[0]! & 0x1f})`);
  const r = new BitReader(unescapeRbsp(nal.subarray(1)));
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separateColourPlane = r.bit();
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      for (let i = 0; i < (chromaFormatIdc === 3 ? 12 : 8); i++) {
        if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.bit(); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.ue() + 1;
  const heightInMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let width = widthInMbs * 16;
  let height = (2 - frameMbsOnly) * heightInMapUnits * 16;
  if (r.bit()) {
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const cropUnitX = chromaArrayType === 0 ? 1 : chromaArrayType === 3 ? 1 : 2;
    const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * (2 - frameMbsOnly);
    width -= cropUnitX * (left + right);
    height -= cropUnitY * (top + bottom);
  }
  return { profileIdc, constraintFlags, levelIdc, chromaFormatIdc, bitDepthLuma, bitDepthChroma, width, height };
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** `avc1.PPCCLL`: profile_idc, the constraint flags byte and level_idc, in hex (RFC 6381 §3.3). */
export function h264CodecString(sps: H264Sps): string {
  return `avc1.${hex2(sps.profileIdc)}${hex2(sps.constraintFlags)}${hex2(sps.levelIdc)}`;
}

/** The AVCDecoderConfigurationRecord (avcC) for one SPS and one PPS, NAL lengths of 4 bytes. */
export function avcDecoderConfiguration(spsNal: Uint8Array, ppsNal: Uint8Array, sps: H264Sps = parseH264Sps(spsNal)): Uint8Array {
  const lengthOf = (nal: Uint8Array) => Uint8Array.of(nal.byteLength >> 8, nal.byteLength & 0xff);
  const parts = [
    Uint8Array.of(1, sps.profileIdc, sps.constraintFlags, sps.levelIdc, 0xfc | 3, 0xe0 | 1),
    lengthOf(spsNal),
    spsNal,
    Uint8Array.of(1),
    lengthOf(ppsNal),
    ppsNal,
  ];
  if (HIGH_PROFILES.has(sps.profileIdc)) {
    parts.push(Uint8Array.of(0xfc | sps.chromaFormatIdc, 0xf8 | (sps.bitDepthLuma - 8), 0xf8 | (sps.bitDepthChroma - 8), 0));
  }
  return concatBytes(parts);
}

/** H.264 parameters from an SPS and a PPS. */
export function h264Parameters(spsNal: Uint8Array, ppsNal: Uint8Array): VideoParameters {
  const sps = parseH264Sps(spsNal);
  return {
    codec: 'h264',
    codecString: h264CodecString(sps),
    width: sps.width,
    height: sps.height,
    parameterSets: [spsNal, ppsNal],
    description: avcDecoderConfiguration(spsNal, ppsNal, sps),
  };
}

/**
 * RFC 6184 non-interleaved mode: single NAL unit packets, STAP-A and FU-A. (STAP-B, MTAP and FU-B
 * belong to the interleaved mode, refused at SETUP.)
 */
export class H264Depacketizer extends Depacketizer {
  readonly codec = 'h264';
  protected readonly requiredSets: readonly ParameterSetKind[] = ['sps', 'pps'];

  protected nalType(nal: Uint8Array): number {
    return nal[0]! & 0x1f;
  }

  protected unpack(payload: Uint8Array): void {
    if (payload.byteLength < 1) return;
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      this.addNal(payload.slice());
    } else if (type === STAP_A) {
      this.addAggregated(payload, 1);
    } else if (type === FU_A && payload.byteLength > 2) {
      const indicator = payload[0]!;
      const fuHeader = payload[1]!;
      this.addFragment((fuHeader & 0x80) !== 0, (fuHeader & 0x40) !== 0, () => Uint8Array.of((indicator & 0xe0) | (fuHeader & 0x1f)), payload.subarray(2));
    }
  }

  protected isPicture(type: number): boolean {
    return type >= 1 && type <= 5;
  }

  protected isKeyframe(type: number): boolean {
    return type === NAL_IDR;
  }

  protected isDelimiter(type: number): boolean {
    return type === NAL_AUD;
  }

  protected parameterSetKind(type: number): ParameterSetKind | undefined {
    return type === NAL_SPS ? 'sps' : type === NAL_PPS ? 'pps' : undefined;
  }

  protected describe([sps, pps]: Uint8Array[]): VideoParameters {
    return h264Parameters(sps!, pps!);
  }
}
