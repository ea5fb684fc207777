/** BLE through BlueZ: the radio. Adverts go to an `AdvertConsumer`; protocols (BTHome) live beside it. */
export type { AdvertConsumer, BleAdvert, BleScanner } from "./advert.js";
export {
  BluezScanner,
  type BluezScannerOptions,
  type ScannerState,
  type ScannerStatus,
} from "./bluez.js";
export { formatMac, macToBytes, normalizeMac } from "./mac.js";
