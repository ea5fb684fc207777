/** BTHome v2 over BLE: codec, decode for the CLI, and the receiver that turns adverts into presses. */
export {
  BTHOME_UUID,
  type BthomeEvent,
  type BthomeFrame,
  type BthomeObject,
  decodeBthome,
  decodeServiceData,
  normalizeMac,
} from "./codec.js";
export { type DecodeAdvertOptions, type DecodedAdvert, decodeBthomeAdvert } from "./decode.js";
export {
  type BthomeDevice,
  type BthomeDeviceConfig,
  BthomeReceiver,
  type BthomeReceiverOptions,
  type CounterStore,
  type DeviceStats,
  MemoryCounterStore,
  validateBthomeDevice,
} from "./receiver.js";
