// TensorRT engine files as Ultralytics writes them (`yolo export format=engine`): a 4-byte
// little-endian length, that many bytes of JSON metadata (json.dumps of the model's metadata:
// names {"0": "person", …}, imgsz [640, 640], stride, task, batch, end2end, …), then the serialized
// engine. A plain engine (trtexec, polygraphy) has no such header: it is told apart by the length
// being plausible and the bytes after it being a JSON object, as Ultralytics' own loader does.

/** Larger metadata would be no Ultralytics header but the start of a plain engine. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

export interface EngineFile {
  /** The header's metadata as strings, as ONNX metadata_props are: strings as they are, the rest as JSON. */
  metadata: Record<string, string>;
  /** The serialized engine: what the runtime deserializes. A view into the file's bytes. */
  engine: Uint8Array;
  /** Whether the file had an Ultralytics metadata header. */
  hasMetadata: boolean;
}

/** Splits an engine file into its metadata header (if any) and the engine. */
export function parseEngineFile(bytes: Uint8Array): EngineFile {
  const plain = { metadata: {}, engine: bytes, hasMetadata: false };
  if (bytes.length < 6) return plain;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0, true);
  if (length < 2 || length > MAX_METADATA_BYTES || 4 + length > bytes.length || bytes[4] !== 0x7b /* { */) return plain;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(4, 4 + length)));
  } catch {
    return plain;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return plain;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
  return { metadata, engine: bytes.subarray(4 + length), hasMetadata: true };
}

/** An engine file with Ultralytics' metadata header, as its exporter writes one. */
export function writeEngineFile(metadata: Record<string, unknown>, engine: Uint8Array): Uint8Array {
  // Ultralytics writes len(json.dumps(...)), a count of characters; json.dumps escapes non-ASCII,
  // so characters and bytes agree. Escaping here too keeps them agreeing for any names.
  const json = JSON.stringify(metadata).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const header = new TextEncoder().encode(json);
  const file = new Uint8Array(4 + header.length + engine.length);
  new DataView(file.buffer).setInt32(0, header.length, true);
  file.set(header, 4);
  file.set(engine, 4 + header.length);
  return file;
}
