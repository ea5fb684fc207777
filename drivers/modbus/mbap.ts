import { ErrorCode } from "../../src/core/errors.js";
import { checkU16, frameError as err } from "./pdu.js";

/** Modbus TCP framing: the MBAP header in front of a PDU. */

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
