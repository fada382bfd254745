import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COCO_CLASSES, parseLabels, resolveClassNames } from '../src/class-names.ts';
import { DetectorError } from '../src/index.ts';
import { parseModelMetadata, parsePythonLiteral } from '../src/metadata.ts';
import { readOnnxMetadata } from '../src/onnx-metadata.ts';
import { colourModel } from './helpers.ts';

describe('parsePythonLiteral', () => {
  it('reads the dict Ultralytics writes for names', () => {
    expect(parsePythonLiteral("{0: 'person', 1: 'bicycle', 2: \"traffic light\"}")).toEqual({ 0: 'person', 1: 'bicycle', 2: 'traffic light' });
  });
  it('reads quotes and escapes inside names', () => {
    expect(parsePythonLiteral(`{0: "driver's cab", 1: 'it\\'s', 2: 'caf\\xe9', 3: 'tab\\there'}`)).toEqual({ 0: "driver's cab", 1: "it's", 2: 'café', 3: 'tab\there' });
  });
  it('reads lists, tuples, numbers, booleans and None, and JSON', () => {
    expect(parsePythonLiteral('[640, 640]')).toEqual([640, 640]);
    expect(parsePythonLiteral('(1, 2.5, -3e2,)')).toEqual([1, 2.5, -300]);
    expect(parsePythonLiteral('{"a": [true, null], "b": False, "c": None}')).toEqual({ a: [true, null], b: false, c: null });
    expect(parsePythonLiteral(' 32 ')).toBe(32);
    expect(parsePythonLiteral('{}')).toEqual({});
  });
  it('refuses what is not a literal, saying where', () => {
    expect(() => parsePythonLiteral("{0: 'person'")).toThrow(/expected "," or "}" at character 12/);
    expect(() => parsePythonLiteral("'unterminated")).toThrow(/unterminated string/);
    expect(() => parsePythonLiteral('[1, 2] 3')).toThrow(/unexpected text after the value/);
    expect(() => parsePythonLiteral('person')).toThrow(/unexpected character at character 0/);
  });
});

describe('parseModelMetadata', () => {
  it("normalises Ultralytics' keys and ignores the rest", () => {
    const metadata = parseModelMetadata({ names: "{0: 'a', 2: 'c'}", imgsz: '[384, 640]', stride: '64', end2end: 'True', batch: '1', args: "{'half': False}" }, 'm.onnx');
    expect(metadata).toEqual({ names: ['a', undefined, 'c'], inputSize: [384, 640], maxStride: 64, end2end: true });
    expect(parseModelMetadata({ imgsz: '320', names: '["x", "y"]' }, 'm.onnx')).toEqual({ names: ['x', 'y'], inputSize: [320, 320], maxStride: undefined, end2end: undefined });
    expect(parseModelMetadata({}, 'm.onnx')).toEqual({ names: undefined, inputSize: undefined, maxStride: undefined, end2end: undefined });
  });
  it('names the key, the value and what was expected', () => {
    expect(() => parseModelMetadata({ end2end: "'yes'" }, 'm.onnx')).toThrow(new DetectorError(`model m.onnx: metadata "end2end" is "'yes'", expected True when the model includes NMS (YOLOv10, YOLO26)`));
    expect(() => parseModelMetadata({ names: '{0: 1}' }, 'm.onnx')).toThrow(/metadata "names" is "\{0: 1\}", expected class names by id/);
    expect(() => parseModelMetadata({ imgsz: '[0, 640]' }, 'm.onnx')).toThrow(/metadata "imgsz"/);
  });
});

describe('readOnnxMetadata', () => {
  it("reads a model's metadata_props without onnxruntime", () => {
    expect(readOnnxMetadata(readFileSync(colourModel('end2end')))).toMatchObject({ names: "{0: 'red', 1: 'green', 2: 'blue'}", imgsz: '[320, 320]', end2end: 'True' });
    expect(readOnnxMetadata(readFileSync(colourModel('yolox')))).toEqual({});
  });
  it('throws on bytes that are not protobuf', () => {
    expect(() => readOnnxMetadata(Uint8Array.from([0x0a, 0xff]))).toThrow();
  });
});

describe('class names', () => {
  it('parses a labels file, one per line', () => {
    expect(parseLabels('person\r\ncar\n\n  bus  \n')).toEqual(['person', 'car', 'bus']);
  });
  it('prefers the labels file, then the metadata, then COCO for 80 classes, then "class N"', () => {
    expect(resolveClassNames(3, { labels: ['a'], metadata: [undefined, 'm1'] })).toEqual(['a', 'm1', 'class 2']);
    expect(resolveClassNames(80, {})).toEqual(COCO_CLASSES);
    expect(resolveClassNames(81, {})[80]).toBe('class 80');
    expect(resolveClassNames(2, {})).toEqual(['class 0', 'class 1']);
  });
});
