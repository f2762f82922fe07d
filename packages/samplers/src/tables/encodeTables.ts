/** Writes co-occurrence tables into the binary format (see tablesFormat.ts for the layout). */
import { loadCoOccurrenceTables } from './loadTables.js';
import { tableChecksum } from './tableChecksum.js';
import {
  align8,
  COOCCURRENCE_FORMAT_VERSION,
  COOCCURRENCE_MAGIC,
  CoOccurrenceSection,
  type CoOccurrenceValueKind,
  DIRECTORY_ENTRY_BYTES,
  formatError,
  HEADER_BYTES,
  MAX_HASH_BYTES,
  VALUE_BYTES,
  VALUE_KINDS,
} from './tablesFormat.js';

/** The CSR arrays of a table set, as the builder produces them (input to {@link encodeCoOccurrenceTables}). */
export interface CoOccurrenceData {
  readonly vocabSize: number;
  readonly tokenizerHash?: string;
  readonly order: 2 | 3;
  readonly valueKind: CoOccurrenceValueKind;
  readonly documents: number;
  readonly tokens: number;
  readonly bigramTotal: number;
  readonly trigramTotal: number;
  readonly minCount: number;
  readonly topNBigram: number;
  readonly topNTrigram: number;
  readonly approximate: boolean;
  readonly smoothing: number;
  readonly bigramScale?: number;
  readonly bigramOffset?: number;
  readonly trigramScale?: number;
  readonly trigramOffset?: number;
  readonly unigrams: Uint32Array;
  readonly bigramOffsets: Uint32Array;
  readonly bigramIds: Uint32Array | Uint16Array;
  readonly bigramValues: Uint32Array | Uint16Array | Uint8Array;
  readonly trigramOffsets?: Uint32Array;
  readonly trigramIds?: Uint32Array | Uint16Array;
  readonly trigramValues?: Uint32Array | Uint16Array | Uint8Array;
}

interface SectionPlan {
  readonly id: number;
  readonly bytes: Uint8Array;
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Serialises table arrays into the binary format (a fresh, 8-byte aligned Uint8Array).
 * Validates the arrays with the same checks as the loader.
 */
export function encodeCoOccurrenceTables(data: CoOccurrenceData): Uint8Array {
  const hash = new TextEncoder().encode(data.tokenizerHash ?? '');
  if (hash.byteLength > MAX_HASH_BYTES) throw formatError(`tokenizer hash longer than ${MAX_HASH_BYTES} bytes.`);
  const idBytes: 2 | 4 = data.vocabSize <= 65536 ? 2 : 4;
  const valueBytes = VALUE_BYTES[data.valueKind];
  const toIds = (ids: Uint32Array | Uint16Array): Uint8Array =>
    asBytes(idBytes === 2 ? (ids instanceof Uint16Array ? ids : Uint16Array.from(ids)) : Uint32Array.from(ids));
  const toValues = (v: Uint32Array | Uint16Array | Uint8Array): Uint8Array => {
    if (valueBytes === 4) return asBytes(v instanceof Uint32Array ? v : Uint32Array.from(v));
    if (valueBytes === 2) return asBytes(v instanceof Uint16Array ? v : Uint16Array.from(v));
    return asBytes(v instanceof Uint8Array ? v : Uint8Array.from(v));
  };
  const sections: SectionPlan[] = [
    { id: CoOccurrenceSection.UNIGRAMS, bytes: asBytes(data.unigrams) },
    { id: CoOccurrenceSection.BIGRAM_OFFSETS, bytes: asBytes(data.bigramOffsets) },
    { id: CoOccurrenceSection.BIGRAM_IDS, bytes: toIds(data.bigramIds) },
    { id: CoOccurrenceSection.BIGRAM_VALUES, bytes: toValues(data.bigramValues) },
  ];
  const nb = data.bigramIds.length;
  let nt = 0;
  if (data.order === 3) {
    if (!data.trigramOffsets || !data.trigramIds || !data.trigramValues) {
      throw formatError('order 3 needs trigram offsets, ids and values.');
    }
    nt = data.trigramIds.length;
    sections.push(
      { id: CoOccurrenceSection.TRIGRAM_OFFSETS, bytes: asBytes(data.trigramOffsets) },
      { id: CoOccurrenceSection.TRIGRAM_IDS, bytes: toIds(data.trigramIds) },
      { id: CoOccurrenceSection.TRIGRAM_VALUES, bytes: toValues(data.trigramValues) },
    );
  }
  const directoryStart = HEADER_BYTES + align8(hash.byteLength);
  let offset = directoryStart + sections.length * DIRECTORY_ENTRY_BYTES;
  const placed = sections.map((s) => {
    const at = align8(offset);
    offset = at + s.bytes.byteLength;
    return at;
  });
  const total = align8(offset);
  const out = new Uint8Array(new ArrayBuffer(total));
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = COOCCURRENCE_MAGIC.charCodeAt(i);
  dv.setUint32(8, COOCCURRENCE_FORMAT_VERSION, true);
  dv.setUint32(12, directoryStart, true);
  dv.setUint32(16, data.vocabSize, true);
  dv.setUint32(20, data.order, true);
  dv.setUint32(24, VALUE_KINDS.indexOf(data.valueKind), true);
  dv.setUint32(28, idBytes, true);
  dv.setFloat64(32, data.documents, true);
  dv.setFloat64(40, data.tokens, true);
  dv.setFloat64(48, data.bigramTotal, true);
  dv.setFloat64(56, data.trigramTotal, true);
  dv.setUint32(64, data.minCount, true);
  dv.setUint32(68, data.topNBigram, true);
  dv.setUint32(72, data.topNTrigram, true);
  dv.setUint32(76, data.approximate ? 1 : 0, true);
  dv.setFloat64(80, data.smoothing, true);
  dv.setFloat32(88, data.bigramScale ?? 0, true);
  dv.setFloat32(92, data.bigramOffset ?? 0, true);
  dv.setFloat32(96, data.trigramScale ?? 0, true);
  dv.setFloat32(100, data.trigramOffset ?? 0, true);
  dv.setUint32(104, nb, true);
  dv.setUint32(108, nt, true);
  dv.setUint32(112, hash.byteLength, true);
  dv.setUint32(116, sections.length, true);
  // 120: header checksum (written last), 124: reserved.
  out.set(hash, HEADER_BYTES);
  sections.forEach((s, i) => {
    const e = directoryStart + i * DIRECTORY_ENTRY_BYTES;
    dv.setUint32(e, s.id, true);
    dv.setUint32(e + 4, tableChecksum(s.bytes), true);
    dv.setFloat64(e + 8, placed[i] as number, true);
    dv.setFloat64(e + 16, s.bytes.byteLength, true);
    out.set(s.bytes, placed[i] as number);
  });
  const headerEnd = directoryStart + sections.length * DIRECTORY_ENTRY_BYTES;
  dv.setUint32(120, tableChecksum(out.subarray(0, headerEnd)), true);
  // Validate what we wrote with the loader's checks (cheap, and catches builder bugs).
  loadCoOccurrenceTables(out);
  return out;
}
