import { describe, expect, it } from 'vitest';
import { parseEngineFile, writeEngineFile } from '../src/index.ts';
import { parseModelMetadata } from '../src/metadata.ts';

const ENGINE = Uint8Array.from([0x66, 0x74, 0x72, 0x74, 1, 2, 3, 4, 5, 6, 7, 8]); // starts like a TensorRT plan ("ftrt")

/** The bytes Ultralytics' exporter writes: len(meta) as 4 bytes little-endian, json.dumps(metadata), the engine. */
function ultralyticsFile(json: string, engine: Uint8Array): Uint8Array {
  const meta = new TextEncoder().encode(json);
  const file = new Uint8Array(4 + meta.length + engine.length);
  new DataView(file.buffer).setInt32(0, json.length, true);
  file.set(meta, 4);
  file.set(engine, 4 + meta.length);
  return file;
}

describe('engine files', () => {
  it("reads Ultralytics' metadata header and skips it", () => {
    // As json.dumps writes it: ", " and ": " separators, dict keys as strings, Python bools as true/false.
    const json =
      '{"description": "Ultralytics YOLO11n model trained on coco.yaml", "author": "Ultralytics", "stride": 32, "task": "detect", "batch": 1, "imgsz": [640, 640], "names": {"0": "person", "1": "bicycle"}, "args": {"batch": 1, "half": true}, "end2end": false}';
    const { metadata, engine, hasMetadata } = parseEngineFile(ultralyticsFile(json, ENGINE));
    expect(hasMetadata).toBe(true);
    expect(Array.from(engine)).toEqual(Array.from(ENGINE));
    expect(metadata).toMatchObject({ task: 'detect', stride: '32', imgsz: '[640,640]', names: '{"0":"person","1":"bicycle"}', end2end: 'false' });
    // The same parser as ONNX metadata takes it from here.
    expect(parseModelMetadata(metadata, 'x.engine')).toEqual({ names: ['person', 'bicycle'], inputSize: [640, 640], maxStride: 32, end2end: false });
  });

  it('takes a file without a header as a plain engine', () => {
    for (const plain of [ENGINE, new Uint8Array(3), ultralyticsFile('[1, 2]', ENGINE), ultralyticsFile('{"not json', ENGINE)]) {
      const parsed = parseEngineFile(plain);
      expect(parsed.hasMetadata).toBe(false);
      expect(parsed.engine).toBe(plain);
      expect(parsed.metadata).toEqual({});
    }
    // A length that runs past the end of the file, or bytes that are no UTF-8.
    const tooLong = ultralyticsFile('{}', ENGINE);
    new DataView(tooLong.buffer).setInt32(0, 1000, true);
    expect(parseEngineFile(tooLong).hasMetadata).toBe(false);
    const notUtf8 = ultralyticsFile('{"a": 1}', ENGINE);
    notUtf8[6] = 0xff;
    expect(parseEngineFile(notUtf8).hasMetadata).toBe(false);
  });

  it('writes what it reads, keeping lengths in characters and bytes equal for non-ASCII names', () => {
    const file = writeEngineFile({ names: { 0: 'Fußgänger', 1: '自行车' }, imgsz: [320, 320] }, ENGINE);
    const length = new DataView(file.buffer).getInt32(0, true);
    expect(file.length).toBe(4 + length + ENGINE.length);
    const { metadata, engine } = parseEngineFile(file);
    expect(JSON.parse(metadata.names!)).toEqual({ 0: 'Fußgänger', 1: '自行车' });
    expect(Array.from(engine)).toEqual(Array.from(ENGINE));
  });
});
