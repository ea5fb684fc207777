import { z } from "zod";
import { bthomeProfile } from "./bthome.js";
import { cjt188Profile } from "./cjt188.js";
import { dlt645Profile } from "./dlt645.js";
import { gattHealthProfile } from "./gatt-health.js";
import { modbusProfile } from "./modbus.js";
import { zigbee2mqttProfile } from "./zigbee2mqtt.js";

/** A device profile: one meter, button or sensor model, as data. The source of device-profiles/profile.schema.json. */
export const deviceProfile = z.discriminatedUnion("protocol", [
  modbusProfile,
  dlt645Profile,
  cjt188Profile,
  bthomeProfile,
  zigbee2mqttProfile,
  gattHealthProfile,
]);
export type DeviceProfile = z.output<typeof deviceProfile>;
export type Protocol = DeviceProfile["protocol"];
