import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as cjt from "../../../drivers/cjt188/codec.js";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import * as dlt from "../../../drivers/dlt645/codec.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import { loadProfile } from "../../helpers/profiles.js";

const profile = loadProfile("generic-dlt645-single-phase", "dlt645");

function dltMeter() {
  return new Dlt645Meter({
    address: "123456789012",
    identifiers: profile.dlt645.identifiers,
    values: () => ({ voltage_v: 230.4, power_w: -250 }),
    named: () => ({ current_a: 1.234 }),
  });
}

describe("simulated DL/T 645 meter", () => {
  it("answers its own address, the AA wildcard and abbreviated (AA high bytes) addresses only", () => {
    const m = dltMeter();
    for (const address of ["123456789012", "AAAAAAAAAAAA", "AAAA56789012"]) {
      const reply = m.respond(dlt.readDataRequest(address, "02010100"));
      expect(reply, address).toBeDefined();
      const r = dlt.parseReadReply(dlt.decodeFrame(reply?.data as Buffer));
      expect(r).toMatchObject({ kind: "data", address: "123456789012", di: "02010100" });
    }
    expect(m.respond(dlt.readDataRequest("123456789013", "02010100"))).toBeUndefined();
    expect(m.respond(dlt.readDataRequest("AAAA56789013", "02010100"))).toBeUndefined();
  });

  it("encodes values through the profile: sign bits, scale (W → kW) and named values", () => {
    const m = dltMeter();
    const value = (di: string) => {
      const r = dlt.parseReadReply(
        dlt.decodeFrame(m.respond(dlt.readDataRequest("123456789012", di))?.data as Buffer),
      );
      if (r.kind !== "data") throw new Error(r.errors.join());
      return r.value;
    };
    expect(value("02030000")).toEqual(Buffer.from([0x00, 0x25, 0x80])); // -0.2500 kW: sign bit on the top byte
    expect(value("02020100")).toEqual(Buffer.from([0x34, 0x12, 0x00])); // 1.234 A
  });

  it("answers read address only to the wildcard", () => {
    const m = dltMeter();
    expect(dlt.parseAddressReply(dlt.decodeFrame(m.respond(dlt.readAddressRequest())?.data as Buffer))).toBe(
      "123456789012",
    );
    expect(
      m.respond(
        dlt.encodeFrame({ address: "123456789012", control: dlt.Control.ReadAddress, data: Buffer.alloc(0) }),
      ),
    ).toBeUndefined();
  });

  it("stays quiet for CJ/T 188 and Modbus frames on the same bus", () => {
    const m = dltMeter();
    expect(m.respond(cjt.readAddressRequest(0))).toBeUndefined();
    expect(m.respond(cjt.readDataRequest(0x10, "00000000123456", 1))).toBeUndefined();
    expect(m.respond(Buffer.from([0x68, 0x03, 0x00, 0x00, 0x00, 0x01, 0x8c, 0x29]))).toBeUndefined();
    expect(m.seen).toEqual({ readData: 0, readAddress: 0, followUp: 0, other: 0 });
  });

  it("never throws whatever the bus carries", () => {
    const m = dltMeter();
    const w = new Cjt188Meter({ address: "00000000000001", values: () => ({ water_total_m3: 1 }) });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (raw) => {
        m.respond(Buffer.from(raw));
        w.respond(Buffer.from(raw));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("simulated CJ/T 188 meter", () => {
  it("answers read data with its type or the wildcard type, in either DI order", () => {
    const w = new Cjt188Meter({ address: "00000000000001", values: () => ({ water_total_m3: 12.5 }) });
    for (const [type, order] of [
      [0x10, "standard"],
      [0xaa, "swapped"],
    ] as const) {
      const reply = w.respond(cjt.readDataRequest(type, "00000000000001", 9, { diOrder: order }));
      const r = cjt.parseReadReply(cjt.decodeFrame(reply?.data as Buffer));
      expect(r).toMatchObject({ kind: "data", data: { current: 12.5, ser: 9 } });
    }
    expect(w.respond(cjt.readDataRequest(0x11, "00000000000001", 1))).toBeUndefined();
    expect(w.respond(dlt.readAddressRequest())).toBeUndefined();
  });
});
