import { readFileSync } from 'node:fs';
import { fixturePath } from '@cctv/testbed';
import { describe, expect, it } from 'vitest';
import {
  annexB,
  avcDecoderConfiguration,
  digestAuthorization,
  H264Depacketizer,
  h265Parameters,
  lengthPrefixed,
  parseChallenges,
  parseH264Sps,
  parseH265Sps,
  parseRtp,
  parseRtspUrl,
  parseSdp,
  resolveControl,
  RtspReader,
  splitAnnexB,
  type AccessUnit,
  type RtpPacket,
  type RtspResponse,
  type VideoParameters,
} from '../src/index.ts';

const base64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

// Captured from the testbed camera (GStreamer 1.22 rtsp-server, x264 642×360 with an Opus track first; x265 320×240).
const CAMERA_SDP =
  'v=0\r\no=- 371460423311014763 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\ni=rtsp-server\r\nt=0 0\r\na=tool:GStreamer\r\na=type:broadcast\r\na=control:*\r\na=range:npt=now-\r\n' +
  'm=audio 0 RTP/AVP 97\r\nc=IN IP4 0.0.0.0\r\nb=AS:64\r\na=rtpmap:97 OPUS/48000/2\r\na=fmtp:97 sprop-stereo=0;sprop-maxcapturerate=48000\r\na=control:stream=0\r\n' +
  'm=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:2048\r\na=rtpmap:96 H264/90000\r\na=framerate:15\r\n' +
  'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAFtoCkL+IlwFqDAwNSgAAAwACAAADAD0eLF1A,aM48gA==;profile-level-id=42c016;level-asymmetry-allowed=1\r\na=control:stream=1\r\n';
const CAMERA_SPS = base64('Z0LAFtoCkL+IlwFqDAwNSgAAAwACAAADAD0eLF1A');
const CAMERA_PPS = base64('aM48gA==');
const H265_VPS = base64('QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA');
const H265_SPS = base64('QgEBAWAAAAMAkAAAAwAAAwA/oAoIDxZbpKTC//AAEAAWoMDAwIAAAAMAgAAAB4Q=');
const H265_PPS = base64('RAHAcYMS');

describe('SDP', () => {
  it('reads the audio-first camera: both tracks, the video codec, clock and parameter sets', () => {
    const sdp = parseSdp(CAMERA_SDP);
    expect(sdp.control).toBe('*');
    expect(sdp.media.map((m) => [m.kind, m.encoding, m.clockRate, m.control])).toEqual([
      ['audio', 'OPUS', 48000, 'stream=0'],
      ['video', 'H264', 90000, 'stream=1'],
    ]);
    expect(sdp.media[1]!.format['sprop-parameter-sets']).toBe('Z0LAFtoCkL+IlwFqDAwNSgAAAwACAAADAD0eLF1A,aM48gA==');
    expect(sdp.media[1]!.format['packetization-mode']).toBe('1');
  });

  it('knows a static payload type without an rtpmap (MJPEG cameras)', () => {
    expect(parseSdp('v=0\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n').media[0]).toMatchObject({ encoding: 'JPEG', clockRate: 90000 });
  });

  it('resolves track controls as cameras mean them', () => {
    expect(resolveControl('rtsp://cam/live', 'stream=1')).toBe('rtsp://cam/live/stream=1');
    expect(resolveControl('rtsp://cam/live/', 'stream=1')).toBe('rtsp://cam/live/stream=1');
    expect(resolveControl('rtsp://cam/live/', 'rtsp://other/track')).toBe('rtsp://other/track');
    expect(resolveControl('rtsp://cam/live/', '*')).toBe('rtsp://cam/live/');
    expect(resolveControl('rtsp://cam/live', undefined)).toBe('rtsp://cam/live');
  });
});

describe('H.264 parameters', () => {
  it('reads the camera SPS: size after cropping (642 is not a multiple of 16), codec string, avcC', () => {
    const sps = parseH264Sps(CAMERA_SPS);
    expect(sps).toMatchObject({ profileIdc: 66, levelIdc: 22, width: 642, height: 360 });
    const description = avcDecoderConfiguration(CAMERA_SPS, CAMERA_PPS);
    expect(Buffer.from(description).toString('hex')).toBe('0142c016ffe1001e6742c016da0290bf8897016a0c0c0d4a0000030002000003003d1e2c5d4001000468ce3c80');
  });

  const clip = fixturePath('video/people-720p.mp4');
  it.skipIf(!clip)('builds the same avcC as the fixture clip has (High profile: with the chroma and bit-depth extension)', () => {
    const mp4 = readFileSync(clip!);
    const at = mp4.indexOf('avcC');
    const box = new Uint8Array(mp4.subarray(at + 4, at - 4 + mp4.readUInt32BE(at - 4)));
    const spsLength = (box[6]! << 8) | box[7]!;
    const sps = box.subarray(8, 8 + spsLength);
    const ppsLength = (box[9 + spsLength]! << 8) | box[10 + spsLength]!;
    const pps = box.subarray(11 + spsLength, 11 + spsLength + ppsLength);
    expect(parseH264Sps(sps)).toMatchObject({ profileIdc: 100, levelIdc: 31, width: 1280, height: 720, chromaFormatIdc: 1, bitDepthLuma: 8 });
    expect(avcDecoderConfiguration(sps, pps)).toEqual(box);
  });
});

describe('H.265 parameters', () => {
  it('reads the x265 camera SPS: size, Main profile codec string, hvcC with VPS, SPS and PPS', () => {
    expect(parseH265Sps(H265_SPS)).toMatchObject({ profileIdc: 1, levelIdc: 63, width: 320, height: 240, chromaFormatIdc: 1, bitDepthLuma: 8 });
    const parameters = h265Parameters(H265_VPS, H265_SPS, H265_PPS);
    expect(parameters.codecString).toBe('hvc1.1.6.L63.90');
    const hvcC = parameters.description;
    expect(hvcC[0]).toBe(1);
    expect(hvcC[1]).toBe(1); // profile space 0, tier 0, profile 1
    expect(hvcC[12]).toBe(63);
    expect(hvcC[21]! & 3).toBe(3); // 4-byte NAL lengths
    expect(hvcC[22]).toBe(3);
    expect(Buffer.from(hvcC).includes(Buffer.from(H265_SPS))).toBe(true);
  });
});

describe('H.264 depacketiser (RFC 6184)', () => {
  const IDR = Uint8Array.of(0x65, 0x88, 0x84, ...new Array(3000).fill(7));
  const P = Uint8Array.of(0x41, 0x9a, 0x02, 0x03);
  let sequence = 100;
  const packet = (payload: Uint8Array, timestamp: number, marker: boolean): RtpPacket => ({ marker, payloadType: 96, sequence: sequence++ & 0xffff, timestamp, ssrc: 1, payload });
  const fuA = (nal: Uint8Array, size: number) => {
    const parts: Uint8Array[] = [];
    for (let offset = 1; offset < nal.byteLength; offset += size) {
      const header = (offset === 1 ? 0x80 : 0) | (offset + size >= nal.byteLength ? 0x40 : 0) | (nal[0]! & 0x1f);
      parts.push(Uint8Array.of((nal[0]! & 0xe0) | 28, header, ...nal.subarray(offset, offset + size)));
    }
    return parts;
  };
  const stapA = (...nals: Uint8Array[]) => Uint8Array.of(24, ...nals.flatMap((nal) => [nal.byteLength >> 8, nal.byteLength & 0xff, ...nal]));

  function run(packets: RtpPacket[]): { units: AccessUnit[]; parameters: VideoParameters[] } {
    const units: AccessUnit[] = [];
    const parameters: VideoParameters[] = [];
    const depacketizer = new H264Depacketizer(90000, { onAccessUnit: (u) => units.push(u), onParameters: (p) => parameters.push(p) });
    for (const p of packets) depacketizer.push(p, 1000);
    return { units, parameters };
  }

  it('puts STAP-A parameter sets and a FU-A keyframe together, then single-NAL P-frames, one access unit per timestamp', () => {
    const { units, parameters } = run([
      packet(stapA(CAMERA_SPS, CAMERA_PPS), 0, false),
      ...fuA(IDR, 1000).map((payload, i, all) => packet(payload, 0, i === all.length - 1)),
      packet(P, 6000, true),
      packet(P, 12000, true),
    ]);
    expect(parameters.map((p) => [p.codecString, p.width, p.height])).toEqual([['avc1.42C016', 642, 360]]);
    expect(units.map((u) => [u.keyframe, u.rtpTimestamp, u.timestampMs])).toEqual([
      [true, 0, 0],
      [false, 6000, 1000 / 15],
      [false, 12000, 2000 / 15],
    ]);
    expect(splitAnnexB(units[0]!.data)).toEqual([CAMERA_SPS, CAMERA_PPS, IDR]);
    expect(units[1]!.data).toEqual(annexB([P]));
  });

  it('waits for a keyframe, puts the SDP parameter sets before it, and ends an access unit without a marker when the timestamp moves', () => {
    const units: AccessUnit[] = [];
    const depacketizer = new H264Depacketizer(90000, { onAccessUnit: (u) => units.push(u) });
    depacketizer.seedParameterSets([CAMERA_SPS, CAMERA_PPS]);
    for (const p of [packet(P, 0, true), packet(IDR, 6000, false), packet(P, 12000, true)]) depacketizer.push(p, 0);
    expect(units.map((u) => u.keyframe)).toEqual([true, false]);
    expect(splitAnnexB(units[0]!.data)).toEqual([CAMERA_SPS, CAMERA_PPS, IDR]);
  });

  it('drops what a lost packet broke and waits for the next keyframe', () => {
    const fragments = fuA(IDR, 1000);
    const lostMiddle = [packet(stapA(CAMERA_SPS, CAMERA_PPS), 0, false), packet(fragments[0]!, 0, false)];
    sequence++; // fragments[1] lost
    lostMiddle.push(packet(fragments[2]!, 0, true), packet(P, 6000, true), packet(stapA(CAMERA_SPS, CAMERA_PPS), 12000, false), packet(IDR, 12000, true));
    expect(run(lostMiddle).units.map((u) => [u.keyframe, u.rtpTimestamp])).toEqual([[true, 12000]]);
  });

  it('turns Annex-B into length-prefixed NAL units (WebCodecs with a description)', () => {
    expect([...lengthPrefixed(annexB([CAMERA_PPS, P]))]).toEqual([0, 0, 0, 4, ...CAMERA_PPS, 0, 0, 0, 4, ...P]);
  });
});

describe('RTP', () => {
  it('skips CSRCs, a header extension and padding', () => {
    const bytes = Uint8Array.of(0xb1, 0xe0, 0x12, 0x34, 0, 0, 0x01, 0x00, 0, 0, 0, 9, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0x41, 0x9a, 0, 0, 3);
    expect(parseRtp(bytes)).toEqual({ marker: true, payloadType: 96, sequence: 0x1234, timestamp: 256, ssrc: 9, payload: Uint8Array.of(0x41, 0x9a) });
    expect(parseRtp(Uint8Array.of(0x80, 0x60))).toBeUndefined();
  });
});

describe('RTSP reader', () => {
  it('cuts responses and interleaved frames apart, whatever the chunks', () => {
    const text = 'RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 4\r\nWWW-Authenticate: Basic realm="a"\r\nWWW-Authenticate: Digest realm="b", nonce="c"\r\n\r\nv=0\n';
    const bytes = new Uint8Array([...Buffer.from(text), 0x24, 0, 0, 3, 9, 8, 7, ...Buffer.from('GET_PARAMETER rtsp://x RTSP/1.0\r\nCSeq: 9\r\n\r\n'), 0x24, 1, 0, 1, 5]);
    for (const step of [1, 3, 7, bytes.byteLength]) {
      const seen: string[] = [];
      let response: RtspResponse | undefined;
      const reader = new RtspReader({
        response: (r) => {
          response = r;
          seen.push(`response ${r.status}`);
        },
        request: (r) => seen.push(`request ${r.method} ${r.headers.get('cseq')}`),
        interleaved: (channel, payload) => seen.push(`channel ${channel}: ${[...payload].join(',')}`),
      });
      for (let i = 0; i < bytes.byteLength; i += step) reader.push(bytes.subarray(i, i + step));
      expect(seen).toEqual(['response 200', 'channel 0: 9,8,7', 'request GET_PARAMETER 9', 'channel 1: 5']);
      expect(new TextDecoder().decode(response!.body)).toBe('v=0\n');
      expect(response!.headers.getAll('www-authenticate')).toHaveLength(2);
    }
  });

  it('counts what it could not read until the first RTSP message: noise and $ frames, then nothing once the peer has answered', () => {
    const seen: string[] = [];
    const reader = new RtspReader({ response: (r) => seen.push(`response ${r.status}`), request: () => {}, interleaved: (channel) => seen.push(`channel ${channel}`) });
    reader.push(Uint8Array.of(0x17, 0x03, 0x03, 0x24, 0, 0, 1, 9, 0xff));
    expect(seen).toEqual(['channel 0']);
    expect(reader.unreadableBytes).toBe(9);
    reader.push(Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n'));
    expect(seen).toEqual(['channel 0', 'response 200']);
    expect(reader.unreadableBytes).toBe(0);
    // An answer cut short is RTSP all the same.
    const cut = new RtspReader({ response: () => {}, request: () => {}, interleaved: () => {} });
    cut.push(Buffer.from('RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Le'));
    expect(cut.unreadableBytes).toBe(0);
  });
});

describe('authentication', () => {
  it('reads several challenges, in one header or many', () => {
    expect(parseChallenges(['Basic realm="cam"', 'Digest realm="cam, inc", nonce="abc", qop="auth,auth-int", stale=FALSE'])).toEqual([
      { scheme: 'basic', params: { realm: 'cam' } },
      { scheme: 'digest', params: { realm: 'cam, inc', nonce: 'abc', qop: 'auth,auth-int', stale: 'FALSE' } },
    ]);
    expect(parseChallenges(['Digest realm="r", nonce="n", Basic realm="r"']).map((c) => c.scheme)).toEqual(['digest', 'basic']);
  });

  it('answers Digest as RFC 2617 §3.5 does (qop=auth)', () => {
    const header = digestAuthorization(
      { realm: 'testrealm@host.com', qop: 'auth,auth-int', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41' },
      { user: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', nonceCount: 1, cnonce: '0a4f113b' },
    );
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('nc=00000001');
  });

  it('takes user and password out of the URL, percent-decoded, and keeps them out of the request URL', () => {
    expect(parseRtspUrl('rtsp://admin:p%40ss%3Aw%2Frd!@10.0.0.5/live?x=1')).toMatchObject({
      user: 'admin',
      password: 'p@ss:w/rd!',
      port: 554,
      address: '10.0.0.5:554',
      requestUrl: 'rtsp://10.0.0.5/live?x=1',
    });
    expect(parseRtspUrl('rtsp://[::1]:8554/x')).toMatchObject({ hostname: '::1', port: 8554 });
  });
});
