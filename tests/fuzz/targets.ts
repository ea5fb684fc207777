/** Every fuzz target, in the order `npm run fuzz` runs them. */

import { bleReceiver, bthomeAdvertText, bthomeDecode, bthomeRoundTrip } from "./bthome.targets.js";
import type { FuzzTarget } from "./harness.js";
import { controlLines, downlinkCommands, replayInput } from "./inputs.targets.js";
import { configLoader, profileLoader } from "./loaders.targets.js";
import { cjt188Decode, cjt188RoundTrip, commonBcd, dlt645Decode, dlt645RoundTrip } from "./meters.targets.js";
import { modbusDecode, modbusRoundTrip, modbusValues } from "./modbus.targets.js";

export { closeControlRig } from "./inputs.targets.js";

// biome-ignore lint/suspicious/noExplicitAny: targets differ in input type; each is checked with its own arbitrary.
type AnyTarget = FuzzTarget<any>;

/** Bytes in: the codecs and the BLE receiver (tests/fuzz/codecs.test.ts). */
export const CODEC_TARGETS: readonly AnyTarget[] = [
  bthomeDecode,
  bthomeRoundTrip,
  bthomeAdvertText,
  bleReceiver,
  dlt645Decode,
  dlt645RoundTrip,
  cjt188Decode,
  cjt188RoundTrip,
  commonBcd,
  modbusDecode,
  modbusRoundTrip,
  modbusValues,
];

/** Text in: loaders, replay lines, downlink commands, control lines (tests/fuzz/inputs.test.ts). */
export const INPUT_TARGETS: readonly AnyTarget[] = [
  configLoader,
  profileLoader,
  replayInput,
  downlinkCommands,
  controlLines,
];

export const TARGETS: readonly AnyTarget[] = [...CODEC_TARGETS, ...INPUT_TARGETS];
