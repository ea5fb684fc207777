/**
 * BTHome v2 over BLE: codec, decode for the CLI, and the receiver that turns adverts into presses. The
 * installer's scan tool (./scan.ts) and the simulators (./sim) are imported by their own paths, so the
 * agent does not load them.
 */
export { BTHOME_UUID } from "./advertising.js";
export { decodeBthome, decodeServiceData } from "./codec.js";
export { type CounterStore, MemoryCounterStore } from "./counter-guard.js";
export { type DecodeAdvertOptions, type DecodedAdvert, decodeBthomeAdvert } from "./decode.js";
export { type BthomeDevice, type BthomeDeviceConfig, validateBthomeDevice } from "./devices.js";
export type { BthomeEvent, BthomeFrame, BthomeObject } from "./frame.js";
export { BthomeReceiver, type BthomeReceiverOptions, type DeviceStats } from "./receiver.js";
