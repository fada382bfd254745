import { Type as t, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DetectorError } from './errors.ts';

// Ultralytics stores metadata values as Python reprs: names "{0: 'person', 1: 'bicycle'}",
// imgsz "[640, 640]", end2end "False". They are parsed as Python literals (JSON parses too), then
// checked against this schema, so a bad value is reported by key instead of mis-decoding later.
const UltralyticsMetadata = t.Object({
  names: t.Optional(t.Union([t.Record(t.Integer(), t.String()), t.Array(t.String())], { description: 'class names by id' })),
  imgsz: t.Optional(t.Union([t.Integer({ minimum: 1 }), t.Array(t.Integer({ minimum: 1 }), { minItems: 1, maxItems: 2 })], { description: 'input size: an integer or [height, width]' })),
  stride: t.Optional(t.Union([t.Integer({ minimum: 1 }), t.Array(t.Integer({ minimum: 1 }), { minItems: 1 })], { description: 'the largest stride, e.g. 32' })),
  end2end: t.Optional(t.Boolean({ description: 'True when the model includes NMS (YOLOv10, YOLO26)' })),
});
type RawUltralyticsMetadata = Static<typeof UltralyticsMetadata>;

/** What the detector uses from a model's metadata, normalised. */
export interface ModelMetadata {
  /** Class names by id; ids the model's metadata skips are undefined. */
  names?: (string | undefined)[];
  /** Input [height, width] when the model declares it. */
  inputSize?: [number, number];
  /** Largest stride of the detection heads (32 for P5 models, 64 for P6). */
  maxStride?: number;
  end2end?: boolean;
}

/**
 * Parses a Python literal as `repr()` writes it: dicts, lists, tuples, quoted strings, numbers,
 * True/False/None (and true/false/null, so JSON parses too). Throws on anything else.
 */
export function parsePythonLiteral(text: string): unknown {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${pos} of ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const string = (): string => {
    const quote = text[pos++]!;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] !== '\\') {
        out += text[pos++];
        continue;
      }
      const escaped = text[pos + 1];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
      if (escaped !== undefined && escaped in simple) {
        out += simple[escaped];
        pos += 2;
      } else if (escaped === 'x' || escaped === 'u') {
        const digits = escaped === 'x' ? 2 : 4;
        out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 2 + digits), 16));
        pos += 2 + digits;
      } else fail('unsupported escape');
    }
    if (text[pos] !== quote) fail('unterminated string');
    pos++;
    return out;
  };
  const sequence = <T>(close: string, item: () => T): T[] => {
    const items: T[] = [];
    pos++;
    for (skipSpace(); text[pos] !== close; skipSpace()) {
      items.push(item());
      skipSpace();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== close) fail(`expected "," or "${close}"`);
    }
    pos++;
    return items;
  };
  const value = (): unknown => {
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      const entries = sequence('}', () => {
        const key = value();
        skipSpace();
        if (text[pos++] !== ':') fail('expected ":"');
        return [String(key), value()] as const;
      });
      return Object.fromEntries(entries);
    }
    if (c === '[') return sequence(']', value);
    if (c === '(') return sequence(')', value);
    if (c === "'" || c === '"') return string();
    const word = /^(?:True|False|None|true|false|null|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(text.slice(pos))?.[0];
    if (!word) return fail('unexpected character');
    pos += word.length;
    if (word === 'True' || word === 'true') return true;
    if (word === 'False' || word === 'false') return false;
    if (word === 'None' || word === 'null') return null;
    return Number(word);
  };
  const result = value();
  skipSpace();
  if (pos < text.length) fail('unexpected text after the value');
  return result;
}

/** Class names from a `names` value (dict by id, or list), as an array by id. */
function namesById(names: NonNullable<RawUltralyticsMetadata['names']>): (string | undefined)[] {
  if (Array.isArray(names)) return names;
  const byId: (string | undefined)[] = [];
  for (const [id, name] of Object.entries(names)) byId[Number(id)] = name;
  return byId;
}

/** The Ultralytics keys of a model's metadata, parsed and checked; other keys are ignored. */
export function parseModelMetadata(raw: Readonly<Record<string, string>>, modelPath: string): ModelMetadata {
  const parsed: Record<string, unknown> = {};
  for (const key of Object.keys(UltralyticsMetadata.properties)) {
    const text = raw[key];
    if (text === undefined) continue;
    try {
      parsed[key] = parsePythonLiteral(text);
    } catch (error) {
      throw new DetectorError(`model ${modelPath}: metadata "${key}" is not a Python or JSON literal: ${(error as Error).message}`);
    }
  }
  const [problem] = Value.Errors(UltralyticsMetadata, parsed);
  if (problem) {
    const key = problem.path.split('/')[1] ?? '';
    const expected = UltralyticsMetadata.properties[key as keyof RawUltralyticsMetadata]?.description ?? problem.message;
    throw new DetectorError(`model ${modelPath}: metadata "${key}" is ${JSON.stringify(raw[key])}, expected ${expected}`);
  }
  const metadata = parsed as RawUltralyticsMetadata;
  const imgsz = typeof metadata.imgsz === 'number' ? [metadata.imgsz] : metadata.imgsz;
  const stride = typeof metadata.stride === 'number' ? metadata.stride : metadata.stride && Math.max(...metadata.stride);
  return {
    names: metadata.names && namesById(metadata.names),
    inputSize: imgsz && [imgsz[0]!, imgsz[1] ?? imgsz[0]!],
    maxStride: stride,
    end2end: metadata.end2end,
  };
}
