// onnxruntime-node does not expose a model's metadata_props, so they are read here from the
// ModelProto bytes: a walk over its top-level protobuf fields, skipping the (large) graph unread.

const METADATA_PROPS = 14; // ModelProto.metadata_props: repeated StringStringEntryProto { key = 1, value = 2 }

class ProtoReader {
  #pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.bytes.length;
  }

  /** A varint as a number: lengths and tags here stay far below 2^53. */
  varint(): number {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      if (this.#pos >= this.bytes.length) throw new Error('truncated varint');
      const byte = this.bytes[this.#pos++]!;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
      if (shift > 2 ** 63) throw new Error('varint longer than 10 bytes');
    }
  }

  lengthDelimited(): Uint8Array {
    const length = this.varint();
    const end = this.#pos + length;
    if (end > this.bytes.length) throw new Error('length-delimited field runs past the end');
    const slice = this.bytes.subarray(this.#pos, end);
    this.#pos = end;
    return slice;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.#pos += 8;
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.#pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
}

/** Fields of one message: [field number, wire type] pairs handed to a visitor that reads or skips. */
function readFields(bytes: Uint8Array, visit: (reader: ProtoReader, field: number, wireType: number) => void): void {
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const tag = reader.varint();
    visit(reader, Math.floor(tag / 8), tag & 7);
  }
}

/** The metadata_props of a serialised ONNX ModelProto, as a plain object. Throws on malformed bytes. */
export function readOnnxMetadata(model: Uint8Array): Record<string, string> {
  const metadata: Record<string, string> = {};
  const text = new TextDecoder();
  readFields(model, (reader, field, wireType) => {
    if (field !== METADATA_PROPS || wireType !== 2) return reader.skip(wireType);
    let key = '';
    let value = '';
    readFields(reader.lengthDelimited(), (entry, entryField, entryWireType) => {
      if (entryField === 1 && entryWireType === 2) key = text.decode(entry.lengthDelimited());
      else if (entryField === 2 && entryWireType === 2) value = text.decode(entry.lengthDelimited());
      else entry.skip(entryWireType);
    });
    metadata[key] = value;
  });
  return metadata;
}
