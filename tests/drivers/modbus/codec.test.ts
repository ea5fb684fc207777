import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTcp, encodeTcp, tcpFrameLength } from "../../../drivers/modbus/mbap.js";
import {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeRequestPdu,
  encodeResponsePdu,
  type ModbusRequest,
} from "../../../drivers/modbus/pdu.js";
import {
  decodeReadResponse,
  decodeRtu,
  encodeReadRequest,
  encodeRtu,
  rtuReplyComplete,
  rtuRequestLength,
  rtuResponseLength,
} from "../../../drivers/modbus/rtu.js";
import { decodeValue } from "../../../drivers/modbus/values.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";
import { thrown } from "../../helpers/errors.js";

const bytes = (...b: number[]) => Buffer.from(b);

describe("RTU frames from the spec and public implementations", () => {
  it("read holding registers request: spec example (registers 108-110 of unit 17)", () => {
    // MODBUS Application Protocol V1.1b3 §6.3 PDU 03 00 6B 00 03, wrapped for unit 0x11; the same ADU is
    // in qt/qtserialbus tests/auto/qmodbusadu/tst_qmodbusadu.cpp (QModbusSerialAdu::Rtu "1103006b00037687").
    const frame = bytes(
      0x11, // unit 17
      0x03, // function: read holding registers
      0x00, // starting address high
      0x6b, // starting address low (107 = register 108)
      0x00, // quantity high
      0x03, // quantity low: 3 registers
      0x76, // CRC low
      0x87, // CRC high
    );
    expect(encodeReadRequest(17, 3, 0x6b, 3)).toEqual(frame);
    const { unit, pdu } = decodeRtu(frame);
    expect(unit).toBe(17);
    expect(decodeRequestPdu(pdu)).toEqual({ fc: 3, address: 0x6b, quantity: 3 });
    expect(rtuRequestLength(frame)).toBe(8);
  });

  it("read holding registers response: spec example values 555, 0, 100", () => {
    // MODBUS Application Protocol V1.1b3 §6.3 response PDU 03 06 02 2B 00 00 00 64, as an RTU ADU for unit 0x11.
    const frame = bytes(
      0x11, // unit 17
      0x03, // function
      0x06, // byte count: 3 registers
      0x02, // register 108 high
      0x2b, // register 108 low (555)
      0x00, // register 109 high
      0x00, // register 109 low (0)
      0x00, // register 110 high
      0x64, // register 110 low (100)
      0xc8, // CRC low
      0xba, // CRC high
    );
    expect(decodeReadResponse(frame, { unit: 17, fc: 3, quantity: 3 })).toEqual([555, 0, 100]);
    expect(encodeRtu(17, encodeResponsePdu({ fc: 3, registers: [555, 0, 100] }))).toEqual(frame);
    expect(rtuResponseLength(frame)).toBe(11);
  });

  it("read input registers response carrying a float32 voltage (Tasmota DDSU666 driver comment)", () => {
    // arendst/Tasmota tasmota/tasmota_xnrg_energy/xnrg_11_ddsu666.ino: "01 04 04 43 66 33 34 1B 38 = 230.2 Volt".
    const frame = bytes(
      0x01, // unit 1
      0x04, // function: read input registers
      0x04, // byte count: 2 registers
      0x43, // float high word, high byte
      0x66, // float high word, low byte
      0x33, // float low word, high byte
      0x34, // float low word, low byte
      0x1b, // CRC low
      0x38, // CRC high
    );
    const regs = decodeReadResponse(frame, { unit: 1, fc: 4, quantity: 2 });
    expect(regs).toEqual([0x4366, 0x3334]);
    const v = decodeValue({ type: "float32", word_order: "big", byte_order: "big", scale: 1 }, regs);
    expect(v).toBeCloseTo(230.2, 4);
  });

  it("read request for 10 registers of unit 1 (CRC C5 CD)", () => {
    // Vector in public Modbus test suites, e.g. "01030000000AC5CD" (read holding 0..10, RTU).
    const frame = bytes(
      0x01, // unit 1
      0x03, // function
      0x00, // address high
      0x00, // address low
      0x00, // quantity high
      0x0a, // quantity low: 10
      0xc5, // CRC low
      0xcd, // CRC high
    );
    expect(encodeReadRequest(1, 3, 0, 10)).toEqual(frame);
  });

  it("exception response: ILLEGAL DATA ADDRESS to a read holding registers", () => {
    // wirenboard/wb-mqtt-serial test suite, port->Expect(..., {0x01, 0x83, 0x02, 0xC0, 0xF1}, "read fw version").
    const frame = bytes(
      0x01, // unit 1
      0x83, // function 3 with the exception bit
      0x02, // exception code 2: ILLEGAL DATA ADDRESS
      0xc0, // CRC low
      0xf1, // CRC high
    );
    expect(rtuResponseLength(frame)).toBe(5);
    const res = decodeResponsePdu(decodeRtu(frame).pdu);
    expect(res).toEqual({ fc: 3, exception: 2, exceptionName: "ILLEGAL DATA ADDRESS" });
    const e = thrown(() => decodeReadResponse(frame, { unit: 1, fc: 3, quantity: 1 }));
    expect(e.code).toBe(ErrorCode.DeviceException);
    expect(e.context.exceptionName).toBe("ILLEGAL DATA ADDRESS");
  });

  it("write multiple registers request: spec example (registers 2 and 3 ← 0x000A, 0x0102)", () => {
    // MODBUS Application Protocol V1.1b3 §6.12 PDU 10 00 01 00 02 04 00 0A 01 02, RTU ADU for unit 0x11.
    const frame = bytes(
      0x11, // unit 17
      0x10, // function 16: write multiple registers
      0x00, // starting address high
      0x01, // starting address low
      0x00, // quantity high
      0x02, // quantity low
      0x04, // byte count
      0x00, // value 1 high
      0x0a, // value 1 low
      0x01, // value 2 high
      0x02, // value 2 low
      0xc6, // CRC low
      0xf0, // CRC high
    );
    expect(encodeRtu(17, encodeRequestPdu({ fc: 16, address: 1, values: [0x000a, 0x0102] }))).toEqual(frame);
    expect(rtuRequestLength(frame)).toBe(13);
  });

  it("read response from node-modbus-serial's port tests", () => {
    // yaacov/node-modbus-serial test/ports/*: request 1103006B00037687 answered by 110306ae415652434049ad.
    const frame = bytes(
      0x11, // unit 17
      0x03, // function
      0x06, // byte count
      0xae, // register 1 high
      0x41, // register 1 low
      0x56, // register 2 high
      0x52, // register 2 low
      0x43, // register 3 high
      0x40, // register 3 low
      0x49, // CRC low
      0xad, // CRC high
    );
    expect(decodeReadResponse(frame, { unit: 17, fc: 3, quantity: 3 })).toEqual([0xae41, 0x5652, 0x4340]);
  });
});

describe("TCP (MBAP) frames", () => {
  it("wraps the spec's read request in an MBAP header", () => {
    // MODBUS Messaging on TCP/IP Implementation Guide V1.0b §3.1.3: transaction id, protocol 0, length, unit.
    const frame = bytes(
      0x00, // transaction id high
      0x01, // transaction id low
      0x00, // protocol id high
      0x00, // protocol id low (0 = Modbus)
      0x00, // length high
      0x06, // length low: unit + 5 PDU bytes
      0x11, // unit id
      0x03, // function
      0x00, // address high
      0x6b, // address low
      0x00, // quantity high
      0x03, // quantity low
    );
    expect(encodeTcp(1, 17, encodeRequestPdu({ fc: 3, address: 0x6b, quantity: 3 }))).toEqual(frame);
    expect(decodeTcp(frame)).toEqual({ transactionId: 1, unit: 17, pdu: frame.subarray(7) });
    expect(tcpFrameLength(frame.subarray(0, 6))).toBe(12);
  });

  it("names what is wrong and where", () => {
    const bad = bytes(0, 1, 0, 7, 0, 6, 0x11, 3, 0, 0x6b, 0, 3);
    const e = thrown(() => decodeTcp(bad));
    expect(e.code).toBe(ErrorCode.FrameMalformed);
    expect(e.context.offset).toBe(2);
    const short = bytes(0, 1, 0, 0, 0, 9, 0x11, 3, 0, 0x6b, 0, 3);
    expect(thrown(() => decodeTcp(short)).code).toBe(ErrorCode.FrameTruncated);
  });
});

describe("RTU errors", () => {
  it("reports a bad CRC at the CRC's offset", () => {
    const frame = bytes(0x11, 0x03, 0x00, 0x6b, 0x00, 0x03, 0x87, 0x76);
    const e = thrown(() => decodeRtu(frame));
    expect(e.code).toBe(ErrorCode.FrameChecksum);
    expect(e.context.offset).toBe(6);
    expect(e.message).toContain("0x8776");
  });

  it("reports a byte count that disagrees with the frame", () => {
    const frame = encodeRtu(1, bytes(0x03, 0x04, 0x00, 0x01));
    const e = thrown(() => decodeReadResponse(frame, { unit: 1, fc: 3, quantity: 2 }));
    expect(e.code).toBe(ErrorCode.FrameTruncated);
  });

  it("rejects a reply from another unit or function", () => {
    const frame = encodeRtu(2, encodeResponsePdu({ fc: 3, registers: [1] }));
    expect(thrown(() => decodeReadResponse(frame, { unit: 1, fc: 3, quantity: 1 })).code).toBe(
      ErrorCode.FrameUnexpected,
    );
    expect(thrown(() => decodeReadResponse(frame, { unit: 2, fc: 4, quantity: 1 })).code).toBe(
      ErrorCode.FrameUnexpected,
    );
  });

  it("reply framing skips noise and other units' bytes", () => {
    const complete = rtuReplyComplete(1, 3);
    expect(complete(bytes(0x00))).toBe(-1);
    expect(complete(bytes(0x01))).toBe(0);
    expect(complete(bytes(0x01, 0x04))).toBe(-1);
    expect(complete(bytes(0x01, 0x83))).toBe(5);
    expect(complete(bytes(0x01, 0x03, 0x04))).toBe(9);
  });
});

const requestArb: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc
    .record({ fc: fc.constantFrom(3 as const, 4 as const), quantity: fc.integer({ min: 1, max: 125 }) })
    .chain((r) => fc.integer({ min: 0, max: 0x10000 - r.quantity }).map((address) => ({ ...r, address }))),
  fc.record({
    fc: fc.constant(6 as const),
    address: fc.integer({ min: 0, max: 0xffff }),
    value: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    fc: fc.constant(16 as const),
    address: fc.integer({ min: 0, max: 0xffff }),
    values: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 123 }),
  }),
);

describe("properties", () => {
  it("request encode → RTU → decode is the identity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 247 }), requestArb, (unit, req) => {
        const frame = encodeRtu(unit, encodeRequestPdu(req));
        expect(rtuRequestLength(frame)).toBe(frame.length);
        const adu = decodeRtu(frame);
        expect(adu.unit).toBe(unit);
        expect(decodeRequestPdu(adu.pdu)).toEqual(req);
      }),
    );
  });

  it("read response encode → TCP → decode is the identity", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(3 as const, 4 as const),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 125 }),
        (tid, f, registers) => {
          const frame = encodeTcp(tid, 1, encodeResponsePdu({ fc: f, registers }));
          expect(tcpFrameLength(frame)).toBe(frame.length);
          const adu = decodeTcp(frame);
          expect(decodeResponsePdu(adu.pdu)).toEqual({ fc: f, registers });
        },
      ),
    );
  });

  it("random bytes never throw anything but HearthError", () => {
    const decoders: Array<(b: Buffer) => unknown> = [
      decodeRtu,
      decodeTcp,
      (b) => decodeRequestPdu(b),
      (b) => decodeResponsePdu(b),
      (b) => decodeReadResponse(b, { unit: b[0] ?? 1, fc: 3, quantity: 2 }),
      (b) => decodeResponsePdu(decodeRtu(b).pdu),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (arr) => {
        const b = Buffer.from(arr);
        for (const d of decoders) {
          try {
            d(b);
          } catch (e) {
            if (!isHearthError(e)) throw e;
            expect(typeof e.context.offset).toBe("number");
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("random bytes with a valid CRC still only throw HearthError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 260 }), (unit, arr) => {
        const frame = encodeRtu(unit, Buffer.from(arr));
        for (const d of [decodeRequestPdu, decodeResponsePdu]) {
          try {
            d(decodeRtu(frame).pdu);
          } catch (e) {
            if (!isHearthError(e)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
