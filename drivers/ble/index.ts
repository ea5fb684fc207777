/** BLE through BlueZ: the scanner that feeds adverts to a consumer, and the installer's scan tools. */
export type { AdvertConsumer, BleAdvert, BleScanner } from "./advert.js";
export {
  BluezScanner,
  type BluezScannerOptions,
  BTHOME_SERVICE_UUID,
  type ScannerState,
  type ScannerStatus,
} from "./bluez.js";
export {
  configSnippet,
  type PressFound,
  type ScanDevice,
  type ScanOptions,
  type ScanResult,
  scanBle,
  type WaitForPressOptions,
  waitForPress,
} from "./scan.js";
