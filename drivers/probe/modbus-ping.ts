import { crc16modbus } from "crc";

/**
 * The two Modbus RTU frames discovery needs, kept here so the probe depends on no driver: "read one
 * holding register at 0" and the framing of whatever comes back. Any well-formed reply from the unit,
 * an exception included, proves a device answers to that id.
 */

export function readOneRegister(unitId: number): Buffer {
  const pdu = Buffer.from([unitId & 0xff, 0x03, 0x00, 0x00, 0x00, 0x01]);
  const crc = crc16modbus(pdu);
  return Buffer.concat([pdu, Buffer.from([crc & 0xff, crc >> 8])]);
}

/** SerialLine framing for the reply of `unitId`: 0 need more, -1 not a reply from it, else its length. */
export function replyLength(unitId: number): (rx: Uint8Array) => number {
  return (rx) => {
    if (rx.length === 0) return 0;
    if (rx[0] !== unitId) return -1;
    if (rx.length < 2) return 0;
    const fc = rx[1] as number;
    let total: number;
    if (fc === 0x83) total = 5;
    else if (fc === 0x03) {
      if (rx.length < 3) return 0;
      total = 5 + (rx[2] as number);
    } else return -1;
    if (rx.length < total) return 0;
    return crcOk(rx.subarray(0, total)) ? total : -1;
  };
}

function crcOk(frame: Uint8Array): boolean {
  const crc = crc16modbus(Buffer.from(frame.subarray(0, frame.length - 2)));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >> 8;
}

/** Exception code of a reply, or undefined for a normal one. */
export function exceptionCode(reply: Uint8Array): number | undefined {
  return reply[1] === 0x83 ? reply[2] : undefined;
}
