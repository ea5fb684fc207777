/**
 * What a decoded BTHome v2 frame is made of (https://bthome.io/format): the device information byte,
 * the objects and events it carries, and the error every decoding step throws for bad bytes.
 */
import { type ErrorCode, HearthError } from "../../src/core/errors.js";

export interface DeviceInfo {
  encrypted: boolean;
  /** Bit 1: a draft of v2 put the MAC (reversed) after this byte; the reference receiver still reads it. */
  macIncluded: boolean;
  /** Sends only on a trigger (a button), not at a regular interval. */
  triggerBased: boolean;
  version: number;
}

export interface BthomeObject {
  id: number;
  name: string;
  value: number | boolean | string;
  unit: string;
}

export interface BthomeEvent {
  id: number;
  name: "button" | "dimmer";
  event: string;
  /** The event's numeric id as sent (spec "Events": 0x01 press, … 0x80 hold_press). */
  code: number;
  /** 1-based position among the objects of this id: which button of a multi-button device. */
  index: number;
  /** Dimmer only: number of steps turned. */
  steps?: number;
}

export interface DecodedPayload {
  packetId?: number;
  /** Objects of each name in the frame, events with no event (0x00) included: how many buttons. */
  counts: Record<string, number>;
  objects: BthomeObject[];
  events: BthomeEvent[];
  /** What the decoder skipped or noticed (unknown object id, objects out of order). */
  notes: string[];
}

export interface BthomeFrame extends DecodedPayload {
  info: DeviceInfo;
  /** MAC as AA:BB:CC:DD:EE:FF when known (given, or carried in the frame). */
  mac?: string;
  /** Encryption counter (uint32) of an encrypted frame. */
  counter?: number;
}

/** Bad bytes: the error names the protocol and the byte offset, for the log line. */
export function frameError(
  message: string,
  code: ErrorCode,
  offset: number,
  extra: Record<string, unknown> = {},
): HearthError {
  return new HearthError(message, code, { protocol: "bthome", offset, ...extra });
}

export function parseDeviceInfo(byte: number): DeviceInfo {
  return {
    encrypted: (byte & 0x01) !== 0,
    macIncluded: (byte & 0x02) !== 0,
    triggerBased: (byte & 0x04) !== 0,
    version: (byte >> 5) & 0x07,
  };
}

export function deviceInfoByte(info: Omit<DeviceInfo, "version"> & { version?: number }): number {
  return (
    (info.encrypted ? 0x01 : 0) |
    (info.macIncluded ? 0x02 : 0) |
    (info.triggerBased ? 0x04 : 0) |
    ((info.version ?? 2) << 5)
  );
}
