/**
 * BTHome test material shared by the receiver, BlueZ, CLI and agent tests: a test button profile, the
 * bind key the tests use, and adverts as a Shelly BLU Button1 sends them.
 */
import { encodeObjects, encodeServiceData } from "../../drivers/bthome/codec.js";
import { keyFromHex } from "../../drivers/bthome/encryption.js";
import type { LoadedConfig } from "../../src/config/devices.js";
import { parseConfig } from "../../src/config/load.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { type BthomeProfile, bthomeProfile } from "../../src/profiles/bthome.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";

/** The bind key of the tests (the one of bthome.io/encryption). */
export const TEST_KEY = "231d39c1d7cc1ab1aee224cd096db932";

/**
 * The example advert of bthome.io/format (temperature 25.00 °C, humidity 50.55 %) decoded, as
 * `decodeBthomeAdvert` returns it and `hearth decode bthome` prints it.
 */
export const FORMAT_EXAMPLE_DECODED = {
  version: 2,
  encrypted: false,
  trigger_based: false,
  objects: [
    { id: 0x02, name: "temperature", value: 25, unit: "°C", key: "temperature" },
    { id: 0x03, name: "humidity", value: 50.55, unit: "%", key: "humidity" },
  ],
  events: [],
  notes: [],
};

/** A button profile advertising every 60 s; `bthome` adds to or overrides its bthome section. */
export function testButtonProfile(bthome: Record<string, unknown> = {}): BthomeProfile {
  return bthomeProfile.parse({
    id: "test-button",
    version: 1,
    manufacturer: "Test",
    model: "Button",
    description: "test",
    kind: "button",
    source: "test",
    protocol: "bthome",
    bthome: { advertising_interval_s: 60, ...bthome },
  });
}

/** A plain (unencrypted) press with this packet id, as a spoofer without the key would send it. */
export function plainPress(packetId: number): Uint8Array {
  return encodeServiceData(
    encodeObjects([
      { id: 0x00, value: packetId },
      { id: 0x3a, value: 1 },
    ]),
    { triggerBased: true },
  );
}

/**
 * One Shelly-style encrypted advert: packet id (the counter's low byte), battery 90 %, button event
 * (0 = none: a beacon), encrypted with `key` for `mac` at `counter`.
 */
export function encryptedAdvert(mac: string, counter: number, event: 0 | 1 = 1, key = TEST_KEY): Uint8Array {
  return encodeServiceData(
    encodeObjects([
      { id: 0x00, value: counter % 256 },
      { id: 0x01, value: 90 },
      { id: 0x3a, value: event },
    ]),
    { triggerBased: true, key: keyFromHex(key), mac, counter },
  );
}

/**
 * A home's config with one encrypted BLE button (MQTT 5 to `broker`, short back-off) and no meters,
 * checked against the real profile catalogue; `extra` goes into the device entry (e.g. `adapter: hci0`).
 */
export function bleHomeConfig(o: {
  home: string;
  broker: string;
  stateDir: string;
  device: string;
  mac: string;
  logLevel: string;
  extra?: string;
}): { config: LoadedConfig; profiles: ReadonlyMap<string, DeviceProfile> } {
  const yaml = `version: 1
home: { id: ${o.home}, timezone: Asia/Shanghai }
state_dir: ${o.stateDir}
cloud:
  brokers:
    - url: ${o.broker}
      mqtt_version: "5"
  backoff_initial: 100ms
  backoff_max: 1s
  replay_rate: 5000
outbox: { telemetry_batch: 50, telemetry_flush: 200ms }
devices:
  - { id: ${o.device}, profile: shelly-blu-button1, mac: "${o.mac}", key: ${TEST_KEY}${o.extra ? `, ${o.extra}` : ""} }
log_level: ${o.logLevel}
`;
  catalogue ??= loadCatalogue();
  const parsed = parseConfig(yaml, `${o.home}.yaml`, catalogue.profiles);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
  return { config: parsed.value, profiles: catalogue.profiles };
}

let catalogue: ReturnType<typeof loadCatalogue> | undefined;
