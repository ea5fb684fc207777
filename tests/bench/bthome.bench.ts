import { bench, describe } from "vitest";
import { decodeServiceData } from "../../drivers/bthome/codec.js";
import { MemoryCounterStore } from "../../drivers/bthome/counter-guard.js";
import { keyFromHex } from "../../drivers/bthome/encryption.js";
import { BthomeReceiver } from "../../drivers/bthome/receiver.js";
import { SimulatedButton, SimulatedScanner } from "../../drivers/bthome/sim/index.js";
import { VirtualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/log.js";
import { testButtonProfile } from "../helpers/bthome.js";

const KEY = "231d39c1d7cc1ab1aee224cd096db932";
const MAC = "54:48:E6:8F:80:A5";
const plain = Uint8Array.from(Buffer.from("40005201643a01", "hex")); // Shelly BLU Button1 press
const encrypted = Uint8Array.from(Buffer.from("41a47266c95f730011223378237214", "hex")); // bthome.io/encryption
const key = keyFromHex(KEY);

describe("BTHome codec", () => {
  bench("decode plain button advert", () => {
    decodeServiceData(plain);
  });
  bench("decrypt + decode encrypted advert (AES-128-CCM)", () => {
    decodeServiceData(encrypted, { mac: MAC, key });
  });
});

describe("BTHome receiver", () => {
  const profile = testButtonProfile();
  const sink = { readings() {}, button() {}, availability() {} };
  const receiver = new BthomeReceiver({
    devices: [{ config: { id: "b", profile: "b", mac: MAC, key: KEY }, profile }],
    sink,
    clock: new VirtualClock(),
    counters: new MemoryCounterStore(),
    log: silentLogger(),
  });
  const scanner = new SimulatedScanner({ consumer: receiver });
  void scanner.start();
  const button = new SimulatedButton({ mac: MAC, key: KEY, scanner, repeats: 5, counter: 1 });
  bench("encrypted press, 5 copies, through the receiver (encode + 1 decrypt + 4 de-dups)", () => {
    button.press();
  });
});
