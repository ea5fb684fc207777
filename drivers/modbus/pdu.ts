import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { exceptionName, MAX_READ_REGISTERS, MAX_WRITE_REGISTERS, type ReadFunction } from "./tables.js";

/**
 * Modbus PDUs (function code and data, the part RTU and TCP share), pure: bytes in, typed value or
 * `HearthError` (FrameXxx / DeviceException) out, naming what is wrong and at which byte offset of the
 * frame. Written from "MODBUS Application Protocol Specification V1.1b3" (modbus.org, 2012).
 */

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

/** A FrameXxx error at `offset` of `frame` (the whole ADU, so offsets are the ones a user sees). */
export function frameError(
  code: ErrorCode,
  what: string,
  offset: number,
  frame: Buffer,
  extra: Record<string, unknown> = {},
) {
  return new HearthError(`Modbus ${what} (at byte ${offset})`, code, {
    offset,
    offsetInMessage: true,
    frame: frame.toString("hex"),
    ...extra,
  });
}

/** What a caller asked to encode does not fit the frame: a bug or a bad tool argument, never a device's bytes. */
export function outOfRange(message: string, context: Record<string, unknown> = {}): HearthError {
  return new HearthError(message, ErrorCode.ValueOutOfRange, context);
}

export function checkU16(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw outOfRange(`${name} must be 0..65535, got ${v}`, { [name]: v });
}

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
  if (pdu.length < 1) throw frameError(ErrorCode.FrameTruncated, "request has no function code", base, frame);
  const fc = pdu[0] as number;
  const need = (n: number) => {
    if (pdu.length < n)
      throw frameError(
        ErrorCode.FrameTruncated,
        `function ${fc} request needs ${n} PDU bytes, got ${pdu.length}`,
        base + pdu.length,
        frame,
      );
  };
  /** The PDU is exactly `n` bytes: truncated below, malformed above. */
  const exactly = (n: number) => {
    need(n);
    if (pdu.length !== n)
      throw frameError(
        ErrorCode.FrameMalformed,
        `function ${fc} request has ${pdu.length - n} extra bytes`,
        base + n,
        frame,
      );
  };
  /** The register count at byte 3 is 1..`max`. */
  const quantityUpTo = (max: number): number => {
    const quantity = pdu.readUInt16BE(3);
    if (quantity < 1 || quantity > max)
      throw frameError(
        ErrorCode.FrameMalformed,
        `quantity ${quantity} is outside 1..${max}`,
        base + 3,
        frame,
        {
          quantity,
        },
      );
    return quantity;
  };
  switch (fc) {
    case 3:
    case 4: {
      exactly(5);
      return { fc, address: pdu.readUInt16BE(1), quantity: quantityUpTo(MAX_READ_REGISTERS) };
    }
    case 6: {
      exactly(5);
      return { fc: 6, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) };
    }
    case 16: {
      need(6);
      const quantity = quantityUpTo(MAX_WRITE_REGISTERS);
      const byteCount = pdu[5] as number;
      if (byteCount !== 2 * quantity)
        throw frameError(
          ErrorCode.FrameMalformed,
          `byte count ${byteCount} is not 2 × quantity ${quantity}`,
          base + 5,
          frame,
        );
      exactly(6 + byteCount);
      const values: number[] = [];
      for (let i = 0; i < quantity; i++) values.push(pdu.readUInt16BE(6 + 2 * i));
      return { fc: 16, address: pdu.readUInt16BE(1), values };
    }
    default:
      throw frameError(ErrorCode.FrameUnsupported, `function code ${fc} is not supported`, base, frame, {
        fc,
      });
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
  if (pdu.length < 1)
    throw frameError(ErrorCode.FrameTruncated, "response has no function code", base, frame);
  const fc = pdu[0] as number;
  if (fc & 0x80) {
    if (pdu.length < 2)
      throw frameError(ErrorCode.FrameTruncated, "exception response has no code", base + 1, frame);
    if (pdu.length > 2)
      throw frameError(
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
        throw frameError(ErrorCode.FrameTruncated, "read response has no byte count", base + 1, frame);
      const byteCount = pdu[1] as number;
      if (byteCount % 2 !== 0)
        throw frameError(ErrorCode.FrameMalformed, `byte count ${byteCount} is odd`, base + 1, frame, {
          byteCount,
        });
      if (pdu.length < 2 + byteCount)
        throw frameError(
          ErrorCode.FrameTruncated,
          `byte count says ${byteCount} data bytes, only ${pdu.length - 2} present`,
          base + pdu.length,
          frame,
        );
      if (pdu.length > 2 + byteCount)
        throw frameError(
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
        throw frameError(
          ErrorCode.FrameTruncated,
          `function ${fc} response needs 5 PDU bytes`,
          base + pdu.length,
          frame,
        );
      if (pdu.length > 5)
        throw frameError(
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
      throw frameError(ErrorCode.FrameUnsupported, `function code ${fc} is not supported`, base, frame, {
        fc,
      });
  }
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
    throw frameError(ErrorCode.FrameUnexpected, `reply is function ${res.fc}, expected ${expect.fc}`, 1, f);
  const regs = (res as { registers: number[] }).registers;
  if (regs.length !== expect.quantity)
    throw frameError(
      ErrorCode.FrameUnexpected,
      `reply has ${regs.length} registers, expected ${expect.quantity}`,
      2,
      f,
    );
  return regs;
}
