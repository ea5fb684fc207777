import { intToBcd } from "../common/bcd.js";
import { Control, DI, type DiOrder, diBytes, type EncodeOptions, encodeFrame } from "./codec.js";

/** The meter's side of CJ/T 188: the replies a meter sends, for simulators and tests. */

export interface MeterDataInput {
  current: number;
  currentUnit?: number;
  settlement?: number;
  settlementUnit?: number;
  /** Local time to report, as a Date read in UTC fields; undefined sends zeros. */
  time?: Date;
  status?: number;
  diOrder?: DiOrder;
}

export function meterDataReply(
  meterType: number,
  address: string,
  ser: number,
  input: MeterDataInput,
  options?: EncodeOptions,
): Buffer {
  const flow = (v: number) => intToBcd(Math.round(v * 100), 4);
  const t = input.time;
  const time = t
    ? Buffer.concat([
        intToBcd(t.getUTCSeconds(), 1),
        intToBcd(t.getUTCMinutes(), 1),
        intToBcd(t.getUTCHours(), 1),
        intToBcd(t.getUTCDate(), 1),
        intToBcd(t.getUTCMonth() + 1, 1),
        intToBcd(t.getUTCFullYear(), 2),
      ])
    : Buffer.alloc(7);
  const status = input.status ?? 0;
  const data = Buffer.concat([
    diBytes(DI.MeterData, input.diOrder),
    Buffer.from([ser & 0xff]),
    flow(input.current),
    Buffer.from([input.currentUnit ?? 0x2c]),
    flow(input.settlement ?? 0),
    Buffer.from([input.settlementUnit ?? 0x2c]),
    time,
    Buffer.from([status & 0xff, (status >> 8) & 0xff]),
  ]);
  return encodeFrame({ meterType, address, control: Control.ReadDataReply, data }, options);
}

export function errorReply(
  meterType: number,
  address: string,
  ser: number,
  status: number,
  options?: EncodeOptions,
): Buffer {
  return encodeFrame(
    {
      meterType,
      address,
      control: Control.ReadDataError,
      data: Buffer.from([ser & 0xff, status & 0xff, (status >> 8) & 0xff]),
    },
    options,
  );
}

export function addressReply(
  meterType: number,
  address: string,
  ser: number,
  options: EncodeOptions & { diOrder?: DiOrder } = {},
): Buffer {
  return encodeFrame(
    {
      meterType,
      address,
      control: Control.ReadAddressReply,
      data: Buffer.concat([diBytes(DI.ReadAddress, options.diOrder), Buffer.from([ser & 0xff])]),
    },
    options,
  );
}
