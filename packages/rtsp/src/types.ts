/** The video codecs this client depacketises. */
export type VideoCodec = 'h264' | 'h265';

/** What a decoder (a child process, a browser's WebCodecs VideoDecoder) needs to start decoding a stream. */
export interface VideoParameters {
  codec: VideoCodec;
  /** RFC 6381 codec string, as WebCodecs' `VideoDecoderConfig.codec` takes it: `avc1.64001F`, `hvc1.1.6.L93.B0`. */
  codecString: string;
  /** The picture size after cropping, from the SPS. */
  width: number;
  height: number;
  /** The parameter sets in force, NAL units without start codes: SPS, PPS (H.264); VPS, SPS, PPS (H.265). */
  parameterSets: Uint8Array[];
  /**
   * The decoder configuration record built from them: avcC (ISO/IEC 14496-15 §5.3.3) or hvcC (§8.3.3),
   * WebCodecs' `VideoDecoderConfig.description`. Given it, WebCodecs expects length-prefixed NAL units
   * (see `lengthPrefixed`); without it, the Annex-B `data` of each access unit.
   */
  description: Uint8Array;
}

/** One picture's worth of compressed video. */
export interface AccessUnit {
  codec: VideoCodec;
  /** Annex-B: each NAL unit after a 4-byte start code. Keyframes start with the parameter sets in force. */
  data: Uint8Array;
  /** An IDR picture (H.264) or an IRAP picture (H.265): decoding can start here. */
  keyframe: boolean;
  /** The RTP timestamp (32 bits, the track's clock). */
  rtpTimestamp: number;
  /** Media time in ms since the first access unit of the session (the RTP timestamp unwrapped). */
  timestampMs: number;
  /** When its last packet arrived (ms since the epoch). */
  receivedAt: number;
  /** The parameters this access unit is decoded with (the same object until they change). */
  parameters: VideoParameters;
}

/** One RTP packet (RFC 3550), its payload a view into the received bytes. */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}
