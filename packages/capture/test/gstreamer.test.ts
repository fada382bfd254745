import { closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GstLaunchParser, gstreamerArgs, gstRgbRowBytes, parseSource, RawFrameAssembler, type GstFacts, type RawFrame } from '../src/index.ts';

/** Feeds what gst-launch-1.0 printed on each output (progress, caps, WARNING, EOS on stdout; ERROR and the debug log on stderr). */
function parse(output: { stdout?: string; stderr?: string }): { parser: GstLaunchParser; seen: GstFacts[] } {
  const seen: GstFacts[] = [];
  const parser = new GstLaunchParser((facts) => seen.push(structuredClone(facts)));
  const bytes = (text = '') => new TextEncoder().encode(text.trimStart());
  parser.stdout.push(bytes(output.stdout));
  parser.stdout.end();
  parser.stderr.push(bytes(output.stderr));
  parser.stderr.end();
  return { parser, seen };
}

describe('gst-launch-1.0 arguments', () => {
  it('plays RTSP over TCP with no jitter buffer, video only, through decodebin, as RGB on fd 3', () => {
    const args = gstreamerArgs(parseSource('rtsp://cam/1')).join(' ');
    expect(args).toBe(
      '-v -f -X stats rtspsrc location=rtsp://cam/1 latency=0 protocols=tcp tcp-timeout=10000000 ! application/x-rtp,media=video ! ' +
        'decodebin ! videoconvert ! video/x-raw,format=RGB ! fdsink name=frames fd=3 sync=false',
    );
  });

  it('percent-encodes what gst-launch would eat (backslashes, double quotes) in the location', () => {
    expect(gstreamerArgs(parseSource('rtsp://a:b\\"c@cam/1'))).toContain('location=rtsp://a:b%5C%22c@cam/1');
  });

  it('is for RTSP only', () => {
    expect(() => gstreamerArgs(parseSource('http://cam/video.mjpg'))).toThrow(/rtsp:\/\/ sources/);
  });
});

describe('GStreamer RGB rows', () => {
  it('are padded to a multiple of 4 bytes', () => {
    expect([1, 2, 4, 640, 642, 1279, 1280].map(gstRgbRowBytes)).toEqual([4, 8, 12, 1920, 1928, 3840, 3840]);
  });

  it('are what gst-launch-1.0 really writes, and the caps give the size', async () => {
    const proc = Bun.spawn(
      ['gst-launch-1.0', '-v', '-f', 'videotestsrc', 'num-buffers=2', '!', 'video/x-raw,width=642,height=360', '!', 'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'fdsink', 'name=frames', 'fd=3'],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const fd = proc.stdio[3] as number;
    const parser = new GstLaunchParser(() => {});
    let bytes = 0;
    await Promise.all([
      (async () => {
        for await (const chunk of proc.stdout) parser.stdout.push(chunk);
      })(),
      (async () => {
        for await (const chunk of Bun.file(fd).stream()) bytes += chunk.byteLength;
      })(),
      proc.exited,
    ]);
    closeSync(fd);
    expect(parser.facts).toMatchObject({ size: { width: 642, height: 360 }, ended: true });
    expect(bytes).toBe(2 * gstRgbRowBytes(642) * 360);
  });
});

describe('RawFrameAssembler with padded rows', () => {
  it('hands on packed frames', () => {
    const frames: RawFrame[] = [];
    const realNow = Date.now;
    let now = 0;
    Date.now = () => (now += 100);
    try {
      // 1×2 pixels, rows padded from 3 to 4 bytes (the pad byte is 99).
      const assembler = new RawFrameAssembler(1, 2, 10, (frame) => frames.push(frame), gstRgbRowBytes(1));
      assembler.push(Uint8Array.of(1, 2, 3, 99, 4, 5));
      assembler.push(Uint8Array.of(6, 99, 7, 8, 9, 99, 10, 11, 12, 99));
    } finally {
      Date.now = realNow;
    }
    expect(frames.map((f) => [...f.data])).toEqual([
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 10, 11, 12],
    ]);
  });
});

// Transcripts of gst-launch-1.0 1.22 (GST_DEBUG=1) against the test camera, output by output.
describe('GstLaunchParser on what gst-launch-1.0 really prints', () => {
  it('finds the opened stream and the frame size, then a size change', () => {
    const { parser, seen } = parse({
      stdout: `
Progress: (connect) Connecting to rtsp://127.0.0.1:18554/stream
Progress: (open) Retrieving server options
Progress: (request) SETUP stream 0
Progress: (open) Opened Stream
Setting pipeline to PLAYING ...
/GstPipeline:pipeline0/GstDecodeBin:decodebin0/avdec_h264:avdec_h264-0.GstPad:src: caps = video/x-raw, format=(string)I420, width=(int)642, height=(int)360
/GstPipeline:pipeline0/GstVideoConvert:videoconvert0.GstPad:src: caps = video/x-raw, width=(int)642, height=(int)360, format=(string)RGB
/GstPipeline:pipeline0/GstFdSink:frames.GstPad:sink: caps = video/x-raw, width=(int)642, height=(int)360, interlace-mode=(string)progressive, pixel-aspect-ratio=(fraction)1/1, framerate=(fraction)15/1, format=(string)RGB, colorimetry=(string)1:1:16:4
/GstPipeline:pipeline0/GstFdSink:frames.GstPad:sink: caps = video/x-raw, width=(int)642, height=(int)360, interlace-mode=(string)progressive, pixel-aspect-ratio=(fraction)1/1, framerate=(fraction)15/1, format=(string)RGB, colorimetry=(string)1:1:16:4
/GstPipeline:pipeline0/GstFdSink:frames.GstPad:sink: caps = video/x-raw, width=(int)1280, height=(int)720, format=(string)RGB
`,
    });
    expect(seen.map((facts) => [facts.connected, facts.size])).toEqual([
      [true, undefined],
      [true, { width: 642, height: 360 }],
      [true, { width: 1280, height: 720 }],
    ]);
    expect(parser.facts.error).toBeUndefined();
  });

  it('says why a connection was refused (from the debug log), with the password hidden', () => {
    const { parser } = parse({
      stdout: `
Progress: (connect) Connecting to rtsp://admin:hunter2@127.0.0.1:18555/stream
Setting pipeline to NULL ...
Freeing pipeline ...
`,
      stderr: `
0:00:00.053345533 21126 0x5587da390d80 ERROR                default gstrtspconnection.c:1156:gst_rtsp_connection_connect_with_response_usec: failed to connect: Could not connect to 127.0.0.1: Connection refused
0:00:00.053445795 21126 0x5587da390d80 ERROR                rtspsrc gstrtspsrc.c:5389:gst_rtsp_conninfo_connect:<rtspsrc0> Could not connect to server. (Generic error)
ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not open resource for reading and writing.
Additional debug info:
../gst/rtsp/gstrtspsrc.c(8336): gst_rtspsrc_retrieve_sdp (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
Failed to connect. (Generic error)
ERROR: pipeline doesn't want to preroll.
`,
    });
    expect(parser.facts.connected).toBe(false);
    expect(parser.endReason(1)).toBe('failed to connect: Could not connect to 127.0.0.1: Connection refused');
    expect(parser.recent.join('\n')).toContain('rtsp://admin:***@127.0.0.1');
    expect(parser.recent.join('\n')).not.toContain('hunter2');
  });

  it.each([
    ['Not found', 'Not Found (404)'],
    ['Unauthorized', 'Unauthorized (401)'],
  ])('keeps what the RTSP server answered: %s', (message, detail) => {
    const { parser } = parse({
      stdout: 'Progress: (open) Retrieving media info',
      stderr: `
ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: ${message}
Additional debug info:
../gst/rtsp/gstrtspsrc.c(6895): gst_rtspsrc_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
${detail}
ERROR: pipeline doesn't want to preroll.
`,
    });
    expect(parser.endReason(1)).toBe(detail);
  });

  it('says why a server that accepts and never answers failed', () => {
    const { parser } = parse({
      stderr: `
ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not read from resource.
Additional debug info:
../gst/rtsp/gstrtspsrc.c(6682): gst_rtsp_src_receive_response (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
Could not receive message. (Timeout while waiting for server response)
ERROR: pipeline doesn't want to preroll.
ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not read from resource.
Additional debug info:
../gst/rtsp/gstrtspsrc.c(6780): gst_rtspsrc_try_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
Could not receive message. (Timeout while waiting for server response)
ERROR: pipeline doesn't want to preroll.
`,
    });
    expect(parser.endReason(1)).toBe('Could not receive message. (Timeout while waiting for server response)');
  });

  it('says the server closed the connection when the camera goes away (a warning, then end of stream, both on stdout)', () => {
    const { parser } = parse({
      stdout: `
Progress: (request) Sent PLAY request
WARNING: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not read from resource.
Additional debug info:
../gst/rtsp/gstrtspsrc.c(5885): gst_rtspsrc_loop_interleaved (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:
The server closed the connection.
Got EOS from element "pipeline0".
Execution ended after 0:00:02.410352729
`,
    });
    expect(parser.facts.ended).toBe(true);
    expect(parser.endReason(0)).toBe('The server closed the connection.');
  });

  it('says "the stream ended" at a plain end of stream', () => {
    const { parser } = parse({
      stdout: `
Progress: (request) Sent PLAY request
Got EOS from element "pipeline0".
Execution ended after 0:00:02.009105194
`,
    });
    expect(parser.endReason(0)).toBe('the stream ended');
  });

  it('says which element is missing when the pipeline cannot be built', () => {
    const { parser } = parse({ stderr: 'WARNING: erroneous pipeline: no element "avdec_h264"' });
    expect(parser.endReason(1)).toBe('no element "avdec_h264"');
  });

  it('reads an error (stderr) and a warning (stdout) whole when the other output comes between their lines', () => {
    const parser = new GstLaunchParser(() => {});
    parser.line('WARNING: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Could not read from resource.', 'stdout');
    parser.line('ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Not found', 'stderr');
    parser.line('Additional debug info:', 'stdout');
    parser.line('Additional debug info:', 'stderr');
    parser.line('../gst/rtsp/gstrtspsrc.c(6895): gst_rtspsrc_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:', 'stderr');
    parser.line('../gst/rtsp/gstrtspsrc.c(5885): gst_rtspsrc_loop_interleaved (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:', 'stdout');
    parser.line('The server closed the connection.', 'stdout');
    parser.line('Not Found (404)', 'stderr');
    expect(parser.facts).toMatchObject({ error: 'Not Found (404)', warning: 'The server closed the connection.' });
  });

  it('falls back to the exit code', () => {
    expect(parse({ stdout: 'Setting pipeline to PAUSED ...' }).parser.endReason(139)).toBe('gst-launch-1.0 exited with code 139');
  });
});
