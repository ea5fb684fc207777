import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeReadResponse, decodeRtu, encodeReadRequest, encodeRtu } from "../../../drivers/modbus/rtu.js";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { ErrorCode, HearthError } from "../../../src/core/errors.js";
import { fastModbusProfile as fastProfile } from "../../helpers/meter-rig.js";

const meter = () =>
  new SimulatedModbusMeter({
    profile: fastProfile("eastron-sdm120"),
    unitId: 4,
    values: () => ({ voltage_v: 230 }),
  });

describe("SimulatedModbusMeter", () => {
  it("answers only its own unit, and only requests with a good CRC", () => {
    const m = meter();
    expect(m.respond(encodeReadRequest(5, 4, 0, 2))).toBeUndefined();
    const bad = encodeReadRequest(4, 4, 0, 2);
    bad[7] = (bad[7] as number) ^ 1;
    expect(m.respond(bad)).toBeUndefined();
    const reply = m.respond(encodeReadRequest(4, 4, 0, 2));
    expect(decodeReadResponse(reply?.data as Buffer, { unit: 4, fc: 4, quantity: 2 })).toEqual([
      0x4366, 0x0000,
    ]);
  });

  it("answers ILLEGAL DATA ADDRESS where the profile has no register, ILLEGAL FUNCTION to writes", () => {
    const m = meter();
    const none = m.respond(encodeReadRequest(4, 3, 0x1000, 2));
    let err: unknown;
    try {
      decodeReadResponse(none?.data as Buffer, { unit: 4, fc: 3, quantity: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe(ErrorCode.DeviceException);
    expect((err as HearthError).context.exception).toBe(2);
    const write = m.respond(encodeRtu(4, Buffer.from([6, 0, 1, 0, 3])));
    expect(decodeRtu(write?.data as Buffer).pdu).toEqual(Buffer.from([0x86, 0x01]));
  });

  it("never throws on random bytes from the bus", () => {
    const m = meter();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (arr) => {
        m.respond(Buffer.from(arr));
        m.respond(encodeRtu(4, Buffer.from(arr)));
        m.respondTcp(Buffer.from(arr));
      }),
      { numRuns: 2000 },
    );
  });
});
