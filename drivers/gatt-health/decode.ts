/** `hearth decode gatt <characteristic> <hex>`: one characteristic value to the JSON the codec gives. */
import { parseHex } from "../common/hex.js";
import { characteristicOrThrow } from "./characteristics.js";
import type { HealthMeasurement } from "./measurements.js";

export function decodeGattValue(characteristic: string, hex: string): HealthMeasurement {
  const spec = characteristicOrThrow(characteristic);
  return spec.decode(parseHex(hex));
}
