import { crc16modbus } from "crc";
import { ErrorCode, HearthError } from "../../src/core/errors.js";

/**
 * Modbus frames, pure: bytes in, typed value or `HearthError` (FrameXxx / DeviceException) out, naming
 * what is wrong and at which byte offset of the frame. Written from "MODBUS Application Protocol
 * Specification V1.1b3" (modbus.org, 2012) and "MODBUS over Serial Line Specification and
 * Implementation Guide V1.02" (modbus.org, 2006).
 */

export const FunctionCode = {
  ReadHoldingRegisters: 3,
  ReadInputRegisters: 4,
  WriteSingleRegister: 6,
  WriteMultipleRegisters: 16,
} as const;
export type ReadFunction = 3 | 4;

/** Exception codes, spec §7. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: "ILLEGAL FUNCTION",
  2: "ILLEGAL DATA ADDRESS",
  3: "ILLEGAL DATA VALUE",
  4: "SERVER DEVICE FAILURE",
  5: "ACKNOWLEDGE",
  6: "SERVER DEVICE BUSY",
  8: "MEMORY PARITY ERROR",
  10: "GATEWAY PATH UNAVAILABLE",
  11: "GATEWAY TARGET DEVICE FAILED TO RESPOND",
};
export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `UNKNOWN EXCEPTION ${code}`;
}

/** Most registers one read may ask for (spec §6.3: 1..125). */
export const MAX_READ_REGISTERS = 125;
/** Most registers one write-multiple may carry (spec §6.12: 1..123). */
export const MAX_WRITE_REGISTERS = 123;

export type ModbusRequest =
  | { fc: ReadFunction; address: number; quantity: number }
  | { fc: 6; address: number; value: number }
  | { fc: 16; address: number; values: number[] };

export type ModbusResponse =
  | { fc: ReadFunction; registers: number[] }
  | { fc: 6; address: number; value: number }
  | { fc: 16; address: number; quantity: number }
  | { fc: number; exception: number; exceptionName: string };

export function isException(r: ModbusResponse): r is Extract<ModbusResponse, { exception: number }> {
  return "exception" in r;
}

function err(
  code: ErrorCode,
  what: string,
  offset: number,
  frame: Buffer,
  extra: Record<string, unknown> = {},
) {
  return new HearthError(`Modbus ${what} (at byte ${offset})`, code, {
    offset,
    frame: frame.toString("hex"),
    ...extra,
  });
}

/** What a caller asked to encode does not fit the frame: a bug or a bad tool argument, never a device's bytes. */
function outOfRange(message: string, context: Record<string, unknown> = {}): HearthError {
  return new HearthError(message, ErrorCode.ValueOutOfRange, context);
}

function checkU16(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw outOfRange(`${name} must be 0..65535, got ${v}`, { [name]: v });
}

// ---------------------------------------------------------------------------------------------- PDU

export function encodeRequestPdu(req: ModbusRequest): Buffer {
  checkU16("address", req.address);
  switch (req.fc) {
    case 3:
    case 4: {
      if (!Number.isInteger(req.quantity) || req.quantity < 1 || req.quantity > MAX_READ_REGISTERS)
        throw outOfRange(`quantity must be 1..${MAX_READ_REGISTERS}, got ${req.quantity}`);
      if (req.address + req.quantity > 0x10000)
        throw outOfRange(`address ${req.address} + quantity ${req.quantity} passes 65535`);
      const b = Buffer.alloc(5);
      b[0] = req.fc;
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(req.quantity, 3);
      return b;
    }
    case 6: {
      checkU16("value", req.value);
      const b = Buffer.alloc(5);
      b[0] = 6;
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(req.value, 3);
      return b;
    }
    case 16: {
      const n = req.values.length;
      if (n < 1 || n > MAX_WRITE_REGISTERS)
        throw outOfRange(`write of ${n} registers: must be 1..${MAX_WRITE_REGISTERS}`);
      const b = Buffer.alloc(6 + 2 * n);
      b[0] = 16;
      b.writeUInt16BE(req.address, 1);
      b.writeUInt16BE(n, 3);
      b[5] = 2 * n;
      req.values.forEach((v, i) => {
        checkU16(`values[${i}]`, v);
        b.writeUInt16BE(v, 6 + 2 * i);
      });
      return b;
    }
  }
}

/**
 * Decodes a request PDU. `frame` and `base` only place error offsets in the whole ADU (1 for RTU,
 * 7 for TCP).
 */
export function decodeRequestPdu(pdu: Buffer, base = 0, frame: Buffer = pdu): ModbusRequest {
  if (pdu.length < 1) throw err(ErrorCode.FrameTruncated, "request has no function code", base, frame);
  const fc = pdu[0] as number;
  const need = (n: number) => {
    if (pdu.length < n)
      throw err(
        ErrorCode.FrameTruncated,
        `function ${fc} request needs ${n} PDU bytes, got ${pdu.length}`,
        base + pdu.length,
        frame,
      );
  };
  switch (fc) {
    case 3:
    case 4: {
      need(5);
      if (pdu.length !== 5)
        throw err(
          ErrorCode.FrameMalformed,
          `function ${fc} request has ${pdu.length - 5} extra bytes`,
          base + 5,
          frame,
        );
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      if (quantity < 1 || quantity > MAX_READ_REGISTERS)
        throw err(ErrorCode.FrameMalformed, `quantity ${quantity} is outside 1..125`, base + 3, frame, {
          quantity,
        });
      return { fc, address, quantity };
    }
    case 6: {
      need(5);
      if (pdu.length !== 5)
        throw err(
          ErrorCode.FrameMalformed,
          `function 6 request has ${pdu.length - 5} extra bytes`,
          base + 5,
          frame,
        );
      return { fc: 6, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) };
    }
    case 16: {
      need(6);
      const quantity = pdu.readUInt16BE(3);
      const byteCount = pdu[5] as number;
      if (quantity < 1 || quantity > MAX_WRITE_REGISTERS)
        throw err(ErrorCode.FrameMalformed, `quantity ${quantity} is outside 1..123`, base + 3, frame, {
          quantity,
        });
      if (byteCount !== 2 * quantity)
        throw err(
          ErrorCode.FrameMalformed,
          `byte count ${byteCount} is not 2 × quantity ${quantity}`,
          base + 5,
          frame,
        );
      need(6 + byteCount);
      if (pdu.length !== 6 + byteCount)
        throw err(
          ErrorCode.FrameMalformed,
          `function 16 request has ${pdu.length - 6 - byteCount} extra bytes`,
          base + 6 + byteCount,
          frame,
        );
      const values: number[] = [];
      for (let i = 0; i < quantity; i++) values.push(pdu.readUInt16BE(6 + 2 * i));
      return { fc: 16, address: pdu.readUInt16BE(1), values };
    }
    default:
      throw err(ErrorCode.FrameUnsupported, `function code ${fc} is not supported`, base, frame, { fc });
  }
}

export function encodeResponsePdu(res: ModbusResponse): Buffer {
  if (isException(res)) return Buffer.from([(res.fc | 0x80) & 0xff, res.exception & 0xff]);
  switch (res.fc) {
    case 3:
    case 4: {
      const r = res as { fc: ReadFunction; registers: number[] };
      if (r.registers.length > MAX_READ_REGISTERS) throw outOfRange(`${r.registers.length} registers > 125`);
      const b = Buffer.alloc(2 + 2 * r.registers.length);
      b[0] = r.fc;
      b[1] = 2 * r.registers.length;
      r.registers.forEach((v, i) => {
        checkU16(`registers[${i}]`, v);
        b.writeUInt16BE(v, 2 + 2 * i);
      });
      return b;
    }
    case 6: {
      const r = res as { fc: 6; address: number; value: number };
      return encodeRequestPdu({ fc: 6, address: r.address, value: r.value });
    }
    case 16: {
      const r = res as { fc: 16; address: number; quantity: number };
      const b = Buffer.alloc(5);
      b[0] = 16;
      b.writeUInt16BE(r.address, 1);
      b.writeUInt16BE(r.quantity, 3);
      return b;
    }
    default:
      throw new HearthError(
        `cannot encode a response for function ${(res as { fc: number }).fc}`,
        ErrorCode.FrameUnsupported,
        { fc: (res as { fc: number }).fc },
      );
  }
}

/** Decodes a response PDU; an exception reply is returned as such (see `registersOf` to throw it). */
export function decodeResponsePdu(pdu: Buffer, base = 0, frame: Buffer = pdu): ModbusResponse {
  if (pdu.length < 1) throw err(ErrorCode.FrameTruncated, "response has no function code", base, frame);
  const fc = pdu[0] as number;
  if (fc & 0x80) {
    if (pdu.length < 2)
      throw err(ErrorCode.FrameTruncated, "exception response has no code", base + 1, frame);
    if (pdu.length > 2)
      throw err(
        ErrorCode.FrameMalformed,
        `exception response has ${pdu.length - 2} extra bytes`,
        base + 2,
        frame,
      );
    const code = pdu[1] as number;
    return { fc: fc & 0x7f, exception: code, exceptionName: exceptionName(code) };
  }
  switch (fc) {
    case 3:
    case 4: {
      if (pdu.length < 2)
        throw err(ErrorCode.FrameTruncated, "read response has no byte count", base + 1, frame);
      const byteCount = pdu[1] as number;
      if (byteCount % 2 !== 0)
        throw err(ErrorCode.FrameMalformed, `byte count ${byteCount} is odd`, base + 1, frame, { byteCount });
      if (pdu.length < 2 + byteCount)
        throw err(
          ErrorCode.FrameTruncated,
          `byte count says ${byteCount} data bytes, only ${pdu.length - 2} present`,
          base + pdu.length,
          frame,
        );
      if (pdu.length > 2 + byteCount)
        throw err(
          ErrorCode.FrameMalformed,
          `${pdu.length - 2 - byteCount} bytes after the ${byteCount} data bytes`,
          base + 2 + byteCount,
          frame,
        );
      const registers: number[] = [];
      for (let i = 0; i < byteCount / 2; i++) registers.push(pdu.readUInt16BE(2 + 2 * i));
      return { fc, registers };
    }
    case 6:
    case 16: {
      if (pdu.length < 5)
        throw err(
          ErrorCode.FrameTruncated,
          `function ${fc} response needs 5 PDU bytes`,
          base + pdu.length,
          frame,
        );
      if (pdu.length > 5)
        throw err(
          ErrorCode.FrameMalformed,
          `function ${fc} response has ${pdu.length - 5} extra bytes`,
          base + 5,
          frame,
        );
      return fc === 6
        ? { fc: 6, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) }
        : { fc: 16, address: pdu.readUInt16BE(1), quantity: pdu.readUInt16BE(3) };
    }
    default:
      throw err(ErrorCode.FrameUnsupported, `function code ${fc} is not supported`, base, frame, { fc });
  }
}

// ------------------------------------------------------------------------------------- RTU (serial)

export function crc16(data: Buffer): number {
  return crc16modbus(data);
}

/** RTU ADU: unit, PDU, CRC-16/MODBUS low byte first. */
export function encodeRtu(unit: number, pdu: Buffer): Buffer {
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw outOfRange(`unit must be 0..255, got ${unit}`);
  const b = Buffer.alloc(pdu.length + 3);
  b[0] = unit;
  pdu.copy(b, 1);
  b.writeUInt16LE(crc16(b.subarray(0, pdu.length + 1)), pdu.length + 1);
  return b;
}

/** Splits an RTU ADU after checking its CRC. */
export function decodeRtu(frame: Buffer): { unit: number; pdu: Buffer } {
  if (frame.length < 4)
    throw err(
      ErrorCode.FrameTruncated,
      `RTU frame of ${frame.length} bytes is shorter than 4`,
      frame.length,
      frame,
    );
  const body = frame.subarray(0, frame.length - 2);
  const want = crc16(body);
  const got = frame.readUInt16LE(frame.length - 2);
  if (want !== got)
    throw err(
      ErrorCode.FrameChecksum,
      `CRC is ${hex4(got)}, expected ${hex4(want)}`,
      frame.length - 2,
      frame,
      { crc: got, expected: want },
    );
  return { unit: frame[0] as number, pdu: frame.subarray(1, frame.length - 2) };
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, "0")}`;
}

/**
 * Length of the RTU request frame at the start of `rx` (a server reading a request): 0 = need more,
 * -1 = cannot be a request we know (the function code is unknown).
 */
export function rtuRequestLength(rx: Buffer): number {
  if (rx.length < 2) return 0;
  const fc = rx[1] as number;
  if (fc === 3 || fc === 4 || fc === 6) return 8;
  if (fc === 16) return rx.length < 7 ? 0 : 9 + (rx[6] as number);
  return -1;
}

/** Length of the RTU response frame at the start of `rx` (a client reading a reply); see `rtuRequestLength`. */
export function rtuResponseLength(rx: Buffer): number {
  if (rx.length < 2) return 0;
  const fc = rx[1] as number;
  if (fc & 0x80) return 5;
  if (fc === 3 || fc === 4) return rx.length < 3 ? 0 : 5 + (rx[2] as number);
  if (fc === 6 || fc === 16) return 8;
  return -1;
}

/**
 * The `complete` check for one transaction: a reply must start with our unit and our function code (or
 * its exception); anything else at the head of the buffer is noise from the bus and is skipped.
 */
export function rtuReplyComplete(unit: number, fc: number): (rx: Buffer) => number {
  return (rx) => {
    if (rx.length < 1) return 0;
    if (rx[0] !== unit) return -1;
    if (rx.length < 2) return 0;
    const f = rx[1] as number;
    if (f !== fc && f !== (fc | 0x80)) return -1;
    return rtuResponseLength(rx);
  };
}

// -------------------------------------------------------------------------------------- TCP (MBAP)

export interface TcpAdu {
  transactionId: number;
  unit: number;
  pdu: Buffer;
}

/** TCP ADU: MBAP header (transaction id, protocol id 0, length of unit + PDU, unit) then PDU. */
export function encodeTcp(transactionId: number, unit: number, pdu: Buffer): Buffer {
  checkU16("transactionId", transactionId);
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(transactionId, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit & 0xff;
  pdu.copy(b, 7);
  return b;
}

export function decodeTcp(frame: Buffer): TcpAdu {
  if (frame.length < 8)
    throw err(
      ErrorCode.FrameTruncated,
      `TCP frame of ${frame.length} bytes is shorter than 8`,
      frame.length,
      frame,
    );
  const protocol = frame.readUInt16BE(2);
  if (protocol !== 0)
    throw err(ErrorCode.FrameMalformed, `MBAP protocol id is ${protocol}, expected 0`, 2, frame, {
      protocol,
    });
  const length = frame.readUInt16BE(4);
  if (length < 2 || length > 254)
    throw err(ErrorCode.FrameMalformed, `MBAP length ${length} is outside 2..254`, 4, frame, { length });
  if (frame.length < 6 + length)
    throw err(
      ErrorCode.FrameTruncated,
      `MBAP length says ${length} bytes follow, only ${frame.length - 6} present`,
      frame.length,
      frame,
    );
  if (frame.length > 6 + length)
    throw err(
      ErrorCode.FrameMalformed,
      `${frame.length - 6 - length} bytes after the MBAP length`,
      6 + length,
      frame,
    );
  return {
    transactionId: frame.readUInt16BE(0),
    unit: frame[6] as number,
    pdu: frame.subarray(7, 6 + length),
  };
}

/** Length of the TCP frame at the start of `rx`: 0 = need more, -1 = not an MBAP header. */
export function tcpFrameLength(rx: Buffer): number {
  if (rx.length < 6) return 0;
  if (rx.readUInt16BE(2) !== 0) return -1;
  const length = rx.readUInt16BE(4);
  if (length < 2 || length > 254) return -1;
  return 6 + length;
}

// --------------------------------------------------------------------------------- read helpers

/** RTU request for `quantity` registers at `address` of table `fc` on `unit`. */
export function encodeReadRequest(unit: number, fc: ReadFunction, address: number, quantity: number): Buffer {
  return encodeRtu(unit, encodeRequestPdu({ fc, address, quantity }));
}

/**
 * Registers of a read response PDU, checked against what was asked. An exception reply throws
 * DeviceException with the exception's name; a reply of another function or size throws FrameUnexpected.
 */
export function registersOf(
  res: ModbusResponse,
  expect: { fc: ReadFunction; quantity: number; unit?: number },
  frame?: Buffer,
): number[] {
  if (isException(res)) {
    throw new HearthError(
      `Device${expect.unit !== undefined ? ` ${expect.unit}` : ""} answered function ${res.fc} with exception ${res.exception} (${res.exceptionName})`,
      ErrorCode.DeviceException,
      { fc: res.fc, exception: res.exception, exceptionName: res.exceptionName },
    );
  }
  const f = frame ?? Buffer.alloc(0);
  if (res.fc !== expect.fc)
    throw err(ErrorCode.FrameUnexpected, `reply is function ${res.fc}, expected ${expect.fc}`, 1, f);
  const regs = (res as { registers: number[] }).registers;
  if (regs.length !== expect.quantity)
    throw err(
      ErrorCode.FrameUnexpected,
      `reply has ${regs.length} registers, expected ${expect.quantity}`,
      2,
      f,
    );
  return regs;
}

/** Decodes an RTU read reply and checks unit, function and count against the request. */
export function decodeReadResponse(
  frame: Buffer,
  expect: { unit: number; fc: ReadFunction; quantity: number },
): number[] {
  const { unit, pdu } = decodeRtu(frame);
  if (unit !== expect.unit)
    throw err(ErrorCode.FrameUnexpected, `reply is from unit ${unit}, expected ${expect.unit}`, 0, frame);
  return registersOf(decodeResponsePdu(pdu, 1, frame), expect, frame);
}
