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
  /** Fields sent as FF… (the meter does not measure them), as real meters do. */
  unsupported?: readonly ("current" | "settlement" | "time" | "status")[];
  /** A short reply: DI, SER and the current flow only (L = 8), as some meters send. */
  short?: boolean;
}

const ff = (n: number) => Buffer.alloc(n, 0xff);

export function meterDataReply(
  meterType: number,
  address: string,
  ser: number,
  input: MeterDataInput,
  options?: EncodeOptions,
): Buffer {
  const flow = (v: number) => intToBcd(Math.round(v * 100), 4);
  const no = new Set(input.unsupported ?? []);
  const t = input.time;
  const time = no.has("time")
    ? ff(7)
    : t
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
  const head = Buffer.concat([
    diBytes(DI.MeterData, input.diOrder),
    Buffer.from([ser & 0xff]),
    no.has("current") ? ff(4) : flow(input.current),
    Buffer.from([input.currentUnit ?? 0x2c]),
  ]);
  const data = input.short
    ? head
    : Buffer.concat([
        head,
        no.has("settlement") ? ff(4) : flow(input.settlement ?? 0),
        Buffer.from([input.settlementUnit ?? 0x2c]),
        time,
        no.has("status") ? ff(2) : Buffer.from([status & 0xff, (status >> 8) & 0xff]),
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

export interface HeatDataInput {
  /** Heat in `heatUnit` (default 0x05 kWh), XXXXXX.XX. */
  currentHeat: number;
  settlementHeat?: number;
  heatUnit?: number;
  /** Heat power in `powerUnit` (default 0x17 kW). */
  power?: number;
  powerUnit?: number;
  /** Flow rate in m³/h (0x35), XXXX.XXXX. */
  flowRate?: number;
  /** Accumulated volume in m³ (0x2C). */
  volume?: number;
  supplyC?: number;
  returnC?: number;
  workingHours?: number;
  status?: number;
}

/** A heat meter's (T 0x20) 901F reply, in the layout of CJ/T 188-2004's heat-meter metering data. */
export function heatDataReply(
  meterType: number,
  address: string,
  ser: number,
  input: HeatDataInput,
  options?: EncodeOptions,
): Buffer {
  const bcd = (v: number, decimals: number, bytes: number) => intToBcd(Math.round(v * 10 ** decimals), bytes);
  const heatUnit = input.heatUnit ?? 0x05;
  const status = input.status ?? 0;
  const data = Buffer.concat([
    diBytes(DI.MeterData),
    Buffer.from([ser & 0xff]),
    bcd(input.settlementHeat ?? 0, 2, 4),
    Buffer.from([heatUnit]),
    bcd(input.currentHeat, 2, 4),
    Buffer.from([heatUnit]),
    bcd(input.power ?? 0, 2, 4),
    Buffer.from([input.powerUnit ?? 0x17]),
    bcd(input.flowRate ?? 0, 4, 4),
    Buffer.from([0x35]),
    bcd(input.volume ?? 0, 2, 4),
    Buffer.from([0x2c]),
    bcd(input.supplyC ?? 0, 2, 3),
    bcd(input.returnC ?? 0, 2, 3),
    bcd(input.workingHours ?? 0, 0, 3),
    Buffer.alloc(7),
    Buffer.from([status & 0xff, (status >> 8) & 0xff]),
  ]);
  return encodeFrame({ meterType, address, control: Control.ReadDataReply, data }, options);
}
