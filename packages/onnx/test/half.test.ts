import { describe, expect, it } from 'vitest';
import { float16ToFloat32 } from '../src/half.js';

describe('float16ToFloat32 (fp16 exports’ logits)', () => {
  it('decodes half-precision bits (a Uint16Array: Node 20 / 22, no Float16Array)', () => {
    const bits = Uint16Array.of(0x0000, 0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0xfc00, 0x7e00);
    const out = float16ToFloat32(bits);
    expect(Array.from(out.subarray(0, 3))).toEqual([0, 1, -2]);
    expect(out[3]).toBeCloseTo(1 / 3, 3);
    expect(out[4]).toBe(2 ** -24);
    expect([out[5], out[6]]).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(out[7]).toBeNaN();
  });

  it('copies values when the runtime hands out a Float16Array (Node 24, current browsers)', () => {
    // stands in for a Float16Array: numbers, not bits
    const values = Float64Array.of(0.5, -3, 65504);
    expect(Array.from(float16ToFloat32(values))).toEqual([0.5, -3, 65504]);
  });
});
