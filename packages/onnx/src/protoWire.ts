/**
 * The protobuf wire format, as little of it as rewriting an ONNX graph needs: a message is read as
 * its list of fields, each kept as the bytes of its value (a subarray of the input: weights are
 * never copied until the message is written again), and fields are made and written back. No
 * schema: the callers know the ONNX field numbers (onnx.proto3).
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export interface ProtoField {
  readonly no: number;
  readonly wire: number;
  /** The value's bytes: a varint's own bytes, a fixed value's 4/8 bytes, a length-delimited payload. */
  readonly raw: Uint8Array;
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

function readVarintAt(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  let i = pos;
  for (;;) {
    if (i >= bytes.length) throw new RangeError('truncated varint');
    const b = bytes[i++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i];
    scale *= 128;
    if (i - pos > 10) throw new RangeError('varint longer than 10 bytes');
  }
}

/** The fields of a message, in order. Throws RangeError on malformed bytes. */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, afterTag] = readVarintAt(bytes, pos);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    let start = afterTag;
    let end: number;
    if (wire === WIRE_VARINT) {
      end = readVarintAt(bytes, start)[1];
    } else if (wire === WIRE_FIXED64) {
      end = start + 8;
    } else if (wire === WIRE_FIXED32) {
      end = start + 4;
    } else if (wire === WIRE_BYTES) {
      const [len, afterLen] = readVarintAt(bytes, start);
      start = afterLen;
      end = start + len;
    } else {
      throw new RangeError(`unsupported wire type ${wire}`);
    }
    if (end > bytes.length || no < 1) throw new RangeError('truncated message');
    fields.push({ no, wire, raw: bytes.subarray(start, end) });
    pos = end;
  }
  return fields;
}

/** A varint field's value (non-negative values below 2^53; negative int64s come back as ≥ 2^63). */
export function varintValue(field: ProtoField): number {
  return readVarintAt(field.raw, 0)[0];
}

export function stringValue(field: ProtoField): string {
  return utf8Decoder.decode(field.raw);
}

/** The repeated string field `no` of a message. */
export function strings(fields: readonly ProtoField[], no: number): string[] {
  return fields.filter((f) => f.no === no).map(stringValue);
}

/** The first string field `no`, or '' (proto3's default). */
export function stringField(fields: readonly ProtoField[], no: number): string {
  const f = fields.find((x) => x.no === no);
  return f ? stringValue(f) : '';
}

function encodeVarint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function varintField(no: number, value: number | bigint): ProtoField {
  return { no, wire: WIRE_VARINT, raw: encodeVarint(value) };
}

export function bytesField(no: number, raw: Uint8Array): ProtoField {
  return { no, wire: WIRE_BYTES, raw };
}

export function stringFieldOf(no: number, value: string): ProtoField {
  return bytesField(no, utf8Encoder.encode(value));
}

export function messageField(no: number, fields: readonly ProtoField[]): ProtoField {
  return bytesField(no, writeFields(fields));
}

export function float32Field(no: number, value: number): ProtoField {
  const raw = new Uint8Array(4);
  new DataView(raw.buffer).setFloat32(0, value, true);
  return { no, wire: WIRE_FIXED32, raw };
}

/** Serializes fields (in the order given) into one buffer. */
export function writeFields(fields: readonly ProtoField[]): Uint8Array {
  const heads = fields.map((f) => {
    const tag = encodeVarint(f.no * 8 + f.wire);
    return f.wire === WIRE_BYTES ? [tag, encodeVarint(f.raw.length)] : [tag];
  });
  let size = 0;
  for (let i = 0; i < fields.length; i++) {
    for (const h of heads[i] as Uint8Array[]) size += h.length;
    size += (fields[i] as ProtoField).raw.length;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (let i = 0; i < fields.length; i++) {
    for (const h of heads[i] as Uint8Array[]) {
      out.set(h, pos);
      pos += h.length;
    }
    const raw = (fields[i] as ProtoField).raw;
    out.set(raw, pos);
    pos += raw.length;
  }
  return out;
}
