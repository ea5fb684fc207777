import { encodeReadRequest, rtuCrcOk, rtuReplyComplete } from "../modbus/rtu.js";
import { FunctionCode } from "../modbus/tables.js";

/**
 * The two Modbus RTU frames discovery needs, from the Modbus codec: "read one holding register at 0"
 * and the framing of whatever comes back. Any well-formed reply from the unit, an exception included,
 * proves a device answers to that id.
 */

const READ = FunctionCode.ReadHoldingRegisters;

export function readOneRegister(unitId: number): Buffer {
  return encodeReadRequest(unitId, READ, 0, 1);
}

/**
 * SerialLine framing for the reply of `unitId`: 0 need more, -1 not a reply from it (another unit,
 * another function, or a bad CRC: a byte is dropped and the search goes on), else its length.
 */
export function replyLength(unitId: number): (rx: Uint8Array) => number {
  const complete = rtuReplyComplete(unitId, READ);
  return (rx) => {
    const total = complete(Buffer.from(rx.buffer, rx.byteOffset, rx.length));
    if (total <= 0) return total;
    if (rx.length < total) return 0;
    return rtuCrcOk(rx.subarray(0, total)) ? total : -1;
  };
}

/** Exception code of a reply, or undefined for a normal one. */
export function exceptionCode(reply: Uint8Array): number | undefined {
  return reply[1] === (READ | 0x80) ? reply[2] : undefined;
}
