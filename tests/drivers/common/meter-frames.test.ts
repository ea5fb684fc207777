import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as cjt from "../../../drivers/cjt188/codec.js";
import * as dlt from "../../../drivers/dlt645/codec.js";
import { isHearthError } from "../../../src/core/errors.js";

/**
 * The frame envelope DL/T 645 and CJ/T 188 share (drivers/common/frame.ts), held to the same
 * properties for both protocols: what is encoded decodes back, and no bytes from the bus make the
 * codec throw anything but a HearthError.
 */
interface FrameCodec<F> {
  name: string;
  /** Any frame the protocol can carry. */
  frames: fc.Arbitrary<F>;
  encode(frame: F, options: { preamble: number }): Buffer;
  decode(wire: Uint8Array): F;
  frameLength(rx: Uint8Array): number;
  /** What a driver makes of a decoded frame. */
  parsers: ((frame: F) => unknown)[];
}

function frameProperties<F>(c: FrameCodec<F>): void {
  describe(`${c.name} frame properties`, () => {
    it("encode → decode round-trips any frame", () => {
      fc.assert(
        fc.property(c.frames, fc.integer({ min: 0, max: 4 }), (frame, preamble) => {
          const wire = c.encode(frame, { preamble });
          expect(c.frameLength(wire)).toBe(wire.length);
          expect(c.decode(wire)).toEqual(frame);
        }),
      );
    });

    it("random bytes never throw anything but HearthError", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
          const n = c.frameLength(raw);
          expect(n).toBeGreaterThanOrEqual(-1);
          expect(n).toBeLessThanOrEqual(raw.length);
          for (const parse of c.parsers) {
            try {
              parse(c.decode(raw));
            } catch (e) {
              expect(isHearthError(e)).toBe(true);
            }
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
}

const control = fc.integer({ min: 0, max: 255 });

frameProperties<dlt.Dlt645Frame>({
  name: "DL/T 645",
  frames: fc.record({
    address: fc.stringMatching(/^[0-9]{12}$/),
    control,
    data: fc.uint8Array({ maxLength: 200 }).map((d) => Buffer.from(d)),
  }),
  encode: dlt.encodeFrame,
  decode: dlt.decodeFrame,
  frameLength: dlt.frameLength,
  parsers: [dlt.parseReadReply, dlt.parseAddressReply],
});

frameProperties<cjt.Cjt188Frame>({
  name: "CJ/T 188",
  frames: fc.record({
    meterType: fc.integer({ min: 0, max: 255 }),
    address: fc.stringMatching(/^[0-9]{14}$/),
    control,
    data: fc.uint8Array({ maxLength: 100 }).map((d) => Buffer.from(d)),
  }),
  encode: cjt.encodeFrame,
  decode: cjt.decodeFrame,
  frameLength: cjt.frameLength,
  parsers: [cjt.parseReadReply, cjt.parseAddressReply],
});
