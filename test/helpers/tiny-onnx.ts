/**
 * A tiny ONNX model written by hand (protobuf wire format, field numbers from onnx.proto), for
 * exercising the neural voice slot without any model file: one Gather node looking input ids up in
 * a float table, ids [N] (int64) → [N, H] (float). IR version 8, opset 13.
 */
const encoder = new TextEncoder();

function varint(value: number): number[] {
  const out: number[] = [];
  let n = value;
  while (n > 0x7f) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const join = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};
const number = (field: number, value: number) =>
  Uint8Array.from([...varint(field << 3), ...varint(value)]);
const bytes = (field: number, data: Uint8Array) =>
  join([Uint8Array.from([...varint((field << 3) | 2), ...varint(data.length)]), data]);
const text = (field: number, value: string) => bytes(field, encoder.encode(value));

const float = 1;
const int64 = 7;

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian floats). */
function floatTensor(name: string, dims: readonly number[], values: readonly number[]): Uint8Array {
  const raw = new Uint8Array(Float32Array.from(values).buffer);
  return join([...dims.map((d) => number(1, d)), number(2, float), text(8, name), bytes(9, raw)]);
}

/** ValueInfoProto {name 1, type 2 {tensor_type 1 {elem_type 1, shape 2 {dim 1 {value 1 | param 2}}}}}. */
function valueInfo(name: string, type: number, dims: readonly (number | string)[]): Uint8Array {
  const shape = join(dims.map((d) => bytes(1, typeof d === 'string' ? text(2, d) : number(1, d))));
  return join([text(1, name), bytes(2, bytes(1, join([number(1, type), bytes(2, shape)])))]);
}

/** The model: `table` rows of H floats; output[i] = table[ids[i]]. */
export function embeddingModel(
  table: readonly (readonly number[])[],
  input: string,
  output: string,
): Uint8Array {
  const rows = table.length;
  const width = table[0]?.length ?? 0;
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5 {name 1, i 3, type 20 (INT = 2)}.
  const axis = join([text(1, 'axis'), number(3, 0), number(20, 2)]);
  const gather = join([
    text(1, 'table'),
    text(1, input),
    text(2, output),
    text(3, 'gather'),
    text(4, 'Gather'),
    bytes(5, axis),
  ]);
  // GraphProto: node 1, name 2, initializer 5, input 11, output 12.
  const graph = join([
    bytes(1, gather),
    text(2, 'tiny_voice'),
    bytes(5, floatTensor('table', [rows, width], table.flat())),
    bytes(11, valueInfo(input, int64, ['N'])),
    bytes(12, valueInfo(output, float, ['N', width])),
  ]);
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 {version 2}.
  return join([number(1, 8), text(2, 'anima-test'), bytes(7, graph), bytes(8, number(2, 13))]);
}
