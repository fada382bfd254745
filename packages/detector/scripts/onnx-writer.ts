// A minimal ONNX writer: just enough protobuf (varints, fixed32, length-delimited fields) and
// just enough of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto) to
// write small models by hand, with no protobuf dependency. Field numbers are onnx.proto's.

/** Protobuf wire format for one message; nested messages are written as finished byte arrays. */
class ProtoWriter {
  readonly #bytes: number[] = [];

  #varint(value: bigint): void {
    let v = BigInt.asUintN(64, value); // negative int64s are written as their 64-bit two's complement
    while (v >= 0x80n) {
      this.#bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#bytes.push(Number(v));
  }

  #tag(field: number, wireType: number): void {
    this.#varint(BigInt((field << 3) | wireType));
  }

  int(field: number, value: number | bigint): this {
    this.#tag(field, 0);
    this.#varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, 5);
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.#bytes.push(view.getUint8(i));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(BigInt(value.length));
    for (const byte of value) this.#bytes.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** onnx.proto TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;

export type Attribute = { name: string } & ({ int: number } | { ints: readonly number[] } | { float: number });

export interface Node {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly Attribute[];
}

export interface Initializer {
  name: string;
  dims: readonly number[];
  /** float32 → FLOAT, BigInt64Array → INT64. */
  values: Float32Array | BigInt64Array;
}

export interface ValueInfo {
  name: string;
  dataType: number;
  dims: readonly number[];
}

export interface ModelSpec {
  graphName: string;
  nodes: readonly Node[];
  initializers: readonly Initializer[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  opset: number;
  irVersion: number;
  metadata?: Readonly<Record<string, string>>;
}

function attributeProto(attribute: Attribute): Uint8Array {
  const w = new ProtoWriter().string(1, attribute.name);
  // AttributeProto: f = 2, i = 3, ints = 8, type = 20 (FLOAT = 1, INT = 2, INTS = 7).
  if ('float' in attribute) return w.float(2, attribute.float).int(20, 1).finish();
  if ('int' in attribute) return w.int(3, attribute.int).int(20, 2).finish();
  for (const value of attribute.ints) w.int(8, value);
  return w.int(20, 7).finish();
}

function nodeProto(node: Node, index: number): Uint8Array {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, `${node.op}_${index}`).string(4, node.op);
  for (const attribute of node.attributes ?? []) w.bytes(5, attributeProto(attribute));
  return w.finish();
}

function tensorProto(initializer: Initializer): Uint8Array {
  const w = new ProtoWriter();
  for (const dim of initializer.dims) w.int(1, dim);
  const isFloat = initializer.values instanceof Float32Array;
  w.int(2, isFloat ? DataType.FLOAT : DataType.INT64).string(8, initializer.name);
  // raw_data is little-endian, as typed arrays are on every platform Bun runs on.
  const { buffer, byteOffset, byteLength } = initializer.values;
  return w.bytes(9, new Uint8Array(buffer, byteOffset, byteLength)).finish();
}

function valueInfoProto(info: ValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const dim of info.dims) shape.bytes(1, new ProtoWriter().int(1, dim).finish());
  const tensorType = new ProtoWriter().int(1, info.dataType).bytes(2, shape.finish()).finish();
  const type = new ProtoWriter().bytes(1, tensorType).finish();
  return new ProtoWriter().string(1, info.name).bytes(2, type).finish();
}

/** The serialised ModelProto: a file onnxruntime (or Netron) opens. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const graph = new ProtoWriter();
  spec.nodes.forEach((node, i) => graph.bytes(1, nodeProto(node, i)));
  graph.string(2, spec.graphName);
  for (const initializer of spec.initializers) graph.bytes(5, tensorProto(initializer));
  for (const input of spec.inputs) graph.bytes(11, valueInfoProto(input));
  for (const output of spec.outputs) graph.bytes(12, valueInfoProto(output));

  const model = new ProtoWriter().int(1, spec.irVersion).string(2, '@cctv/detector generate-models').bytes(7, graph.finish());
  model.bytes(8, new ProtoWriter().string(1, '').int(2, spec.opset).finish());
  for (const [key, value] of Object.entries(spec.metadata ?? {})) {
    model.bytes(14, new ProtoWriter().string(1, key).string(2, value).finish());
  }
  return model.finish();
}
