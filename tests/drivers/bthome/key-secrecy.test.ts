// A bind key is a secret: an error about a malformed one gives its length, never its digits (issue 9).
import { describe, expect, it } from "vitest";
import { MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import { type BthomeDevice, validateBthomeDevice } from "../../../drivers/bthome/devices.js";
import { keyFromHex } from "../../../drivers/bthome/encryption.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { ErrorCode, errorMessage, isHearthError } from "../../../src/core/errors.js";
import { silentLogger } from "../../../src/core/log.js";
import { testButtonProfile } from "../../helpers/bthome.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";

// 32 hex digits with one typo (the "g"): 31 of them are the real key.
const TYPO_KEY = "3a5f09c2b1d84e7f6a0c9b2e4d1f8a7g";
const runsOf = (key: string) => Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8));
const expectNoRun = (text: string, key: string) => {
  for (const run of runsOf(key)) expect(text, `contains ${run}`).not.toContain(run);
};

/** All a caught error shows: its message, its fields (context) and its stack, as text. */
function shown(e: unknown): string {
  return `${errorMessage(e)}\n${JSON.stringify(e)}\n${String((e as Error).stack)}`;
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return expect.unreachable("should throw");
}

const device = (key: string): BthomeDevice => ({
  config: { id: "button-1", profile: "test-button", mac: "AA:BB:CC:DD:EE:01", key },
  profile: testButtonProfile(),
});

describe("a malformed bind key is not echoed", () => {
  it.each([
    [TYPO_KEY, 32],
    [TYPO_KEY.slice(0, 31), 31],
    [`${TYPO_KEY.replace("g", "0")}00`, 34],
  ])("keyFromHex names the length (%#), not the digits", (key, length) => {
    const e = caught(() => keyFromHex(key));
    expect(isHearthError(e, ErrorCode.Usage)).toBe(true);
    expect(errorMessage(e)).toContain(`${length} characters, not 32 hex characters`);
    expectNoRun(shown(e), key);
  });

  it("the device check and the receiver say the same, without the key", () => {
    const problems = validateBthomeDevice(device(TYPO_KEY)).join("\n");
    expect(problems).toMatch(/button-1: key: .*32 characters, not 32 hex characters/);
    expectNoRun(problems, TYPO_KEY);
    const e = caught(
      () =>
        new BthomeReceiver({
          devices: [device(TYPO_KEY)],
          sink: new RecordingReadingSink(),
          clock: new VirtualClock(),
          counters: new MemoryCounterStore(),
          log: silentLogger(),
        }),
    );
    expect(isHearthError(e, ErrorCode.ConfigInvalid)).toBe(true);
    expect(errorMessage(e)).toMatch(/32 characters, not 32 hex characters/);
    expectNoRun(shown(e), TYPO_KEY);
  });
});
