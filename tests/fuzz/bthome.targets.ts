/** BTHome v2: the codec (plain and encrypted), the CLI's hex decoder, and the receiver behind the BLE seam. */
import fc from "fast-check";
import { pino } from "pino";
import { formatMac } from "../../drivers/ble/mac.js";
import {
  decodeBthome,
  decodeServiceData,
  type EncodableObject,
  encodeObjects,
  encodeServiceData,
} from "../../drivers/bthome/codec.js";
import { MemoryCounterStore } from "../../drivers/bthome/counter-guard.js";
import { decodeBthomeAdvert } from "../../drivers/bthome/decode.js";
import { OBJECTS } from "../../drivers/bthome/objects.js";
import { BthomeReceiver } from "../../drivers/bthome/receiver.js";
import { VirtualClock } from "../../src/core/clock.js";
import type { ButtonPress, Reading, ReadingSink } from "../../src/core/readings.js";
import { testButtonProfile } from "../helpers/bthome.js";
import { type FuzzTarget, hexOf, invariant, wireBytes } from "./harness.js";

const macBytes = fc.uint8Array({ minLength: 6, maxLength: 6 });
const key = fc.uint8Array({ minLength: 16, maxLength: 16 });

/** Numbers a spec'd object can carry, from its raw integer range, so decode(encode(x)) is exact. */
const ROUNDTRIP_KINDS = new Set(["sensor", "binary", "timestamp", "device_type"]);
const numericSpecs = [...OBJECTS.values()].filter((s) => ROUNDTRIP_KINDS.has(s.kind));

function decimals(factor: number): number {
  const s = String(factor);
  const dot = s.indexOf(".");
  return dot < 0 ? 0 : s.length - dot - 1;
}

type Expected = { id: number; value: number | boolean | string };
type ObjectCase = { enc: EncodableObject; want: Expected };
const objectArb: fc.Arbitrary<ObjectCase> = fc.oneof(
  fc.constantFrom(...numericSpecs).chain((spec): fc.Arbitrary<ObjectCase> => {
    if (spec.kind === "binary")
      return fc.boolean().map((v) => ({ enc: { id: spec.id, value: v }, want: { id: spec.id, value: v } }));
    const span = 2 ** (8 * spec.length);
    const [min, max] = spec.signed ? [-span / 2, span / 2 - 1] : [0, span - 1];
    return fc.integer({ min, max }).map((raw) => {
      const value = spec.factor === 1 ? raw : Number((raw * spec.factor).toFixed(decimals(spec.factor)));
      return { enc: { id: spec.id, value }, want: { id: spec.id, value } };
    });
  }),
  fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => ({
    enc: { id: 0x53 as const, value: s },
    want: { id: 0x53, value: s },
  })),
  fc.uint8Array({ maxLength: 60 }).map((b) => ({
    enc: { id: 0x54 as const, value: b },
    want: { id: 0x54, value: hexOf(b) },
  })),
);

/** Service data a device could send: objects, optionally encrypted, optionally a packet id first. */
const validServiceData = fc
  .record({
    objects: fc.array(objectArb, { maxLength: 6 }),
    button: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    packetId: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    enc: fc.option(fc.record({ key, mac: macBytes, counter: fc.nat({ max: 0xffffffff }) }), {
      nil: undefined,
    }),
    trigger: fc.boolean(),
  })
  .map((r) => {
    const objects: EncodableObject[] = [
      ...(r.packetId !== undefined ? [{ id: 0x00, value: r.packetId }] : []),
      ...r.objects.map((o) => o.enc),
      ...(r.button !== undefined ? [{ id: 0x3a, value: r.button }] : []),
    ];
    const payload = encodeObjects(objects);
    return encodeServiceData(payload, {
      triggerBased: r.trigger,
      ...(r.enc ? { key: r.enc.key, mac: formatMac(r.enc.mac), counter: r.enc.counter } : {}),
    });
  });

/** decode(encode(objects)) gives the objects back, plain and encrypted; the counter and packet id too. */
export const bthomeRoundTrip: FuzzTarget<{
  objects: { enc: EncodableObject; want: Expected }[];
  enc?: { key: Uint8Array; mac: Uint8Array; counter: number };
  packetId?: number;
}> = {
  name: "bthome.roundtrip",
  ciRuns: 1000,
  arbitrary: fc.record(
    {
      objects: fc.array(objectArb, { maxLength: 8 }),
      enc: fc.record({ key, mac: macBytes, counter: fc.nat({ max: 0xffffffff }) }),
      packetId: fc.integer({ min: 0, max: 255 }),
    },
    { requiredKeys: ["objects"] },
  ),
  run({ objects, enc, packetId }) {
    const list: EncodableObject[] = [
      ...(packetId !== undefined ? [{ id: 0x00, value: packetId }] : []),
      ...objects.map((o) => o.enc),
    ];
    const mac = enc ? formatMac(enc.mac) : undefined;
    const sd = encodeServiceData(encodeObjects(list), enc ? { key: enc.key, mac, counter: enc.counter } : {});
    const frame = decodeServiceData(sd, enc && mac ? { key: enc.key, mac } : {});
    invariant(frame.info.encrypted === (enc !== undefined), "encrypted flag survives");
    invariant(frame.counter === enc?.counter, `counter ${frame.counter} != ${enc?.counter}`);
    invariant(frame.packetId === packetId, `packet id ${frame.packetId} != ${packetId}`);
    const got = frame.objects.map((o) => ({ id: o.id, value: o.value }));
    const want = objects.map((o) => o.want);
    invariant(
      JSON.stringify(got) === JSON.stringify(want),
      `objects ${JSON.stringify(got)} != ${JSON.stringify(want)}`,
    );
  },
};

/** Any bytes as service data or a whole advert, with or without a MAC and key: a frame or a typed error. */
export const bthomeDecode: FuzzTarget<{ bytes: Uint8Array; mac?: Uint8Array; key?: Uint8Array }> = {
  name: "bthome.decode",
  ciRuns: 2000,
  arbitrary: fc.record(
    { bytes: wireBytes(validServiceData, 64), mac: macBytes, key },
    { requiredKeys: ["bytes"] },
  ),
  run({ bytes, mac, key: k }) {
    const frame = decodeBthome(bytes, {
      ...(mac ? { mac: formatMac(mac) } : {}),
      ...(k ? { key: k } : {}),
    });
    invariant(frame.info.version === 2, "only v2 is decoded");
    invariant(!frame.info.encrypted || k !== undefined, "an encrypted frame decodes only with a key");
    for (const e of frame.events) invariant(e.index >= 1, "event index is 1-based");
  },
};

/** What `hearth decode bthome` is given: any text, hex-ish text, any key and MAC text. */
export const bthomeAdvertText: FuzzTarget<{ hex: string; mac?: string; key?: string }> = {
  name: "bthome.advert-text",
  ciRuns: 1000,
  arbitrary: fc.record(
    {
      hex: fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF :,-x"), maxLength: 120 }),
        wireBytes(validServiceData, 64).map((b) => `0x${hexOf(b)}`),
      ),
      mac: fc.oneof(fc.string({ maxLength: 20 }), macBytes.map(formatMac)),
      key: fc.oneof(fc.string({ maxLength: 40 }), key.map(hexOf)),
    },
    { requiredKeys: ["hex"] },
  ),
  run({ hex, mac, key: k }) {
    const d = decodeBthomeAdvert(hex, {
      ...(mac !== undefined ? { mac } : {}),
      ...(k !== undefined ? { key: k } : {}),
    });
    invariant(d.version === 2, "version 2");
  },
};

// ---- the receiver: adverts from the radio, never a throw, never a press it cannot vouch for ------------

const KEYED_MAC = "A4:C1:38:00:00:01";
const PLAIN_MAC = "A4:C1:38:00:00:02";
const RECEIVER_KEY = "231d39c1d7cc1ab1aee224cd096db932";

class CountingSink implements ReadingSink {
  presses: ButtonPress[] = [];
  /** Presses passed on, by device, over the whole run. */
  readonly pressCount = new Map<string, number>();
  readingCount = 0;
  readings(batch: readonly Reading[]): void {
    this.readingCount += batch.length;
  }
  button(press: ButtonPress): void {
    this.presses.push(press);
    this.pressCount.set(press.device, (this.pressCount.get(press.device) ?? 0) + 1);
  }
  availability(): void {}
  receiver(): void {}
}

/** One receiver for a whole run (its state is what a long-lived agent accumulates), errors counted. */
function receiverRig() {
  let errors = 0;
  const log = pino({ level: "error" }, { write: () => void errors++ });
  const sink = new CountingSink();
  const clock = new VirtualClock();
  const profile = testButtonProfile({ actions: { press: "call", double_press: "i_am_fine" } });
  const receiver = new BthomeReceiver({
    devices: [
      { config: { id: "keyed", profile: profile.id, mac: KEYED_MAC, key: RECEIVER_KEY }, profile },
      { config: { id: "plain", profile: profile.id, mac: PLAIN_MAC }, profile },
    ],
    sink,
    clock,
    log,
    counters: new MemoryCounterStore(),
  });
  receiver.start();
  return { receiver, sink, clock, errors: () => errors };
}
let rig: ReturnType<typeof receiverRig> | undefined;

/**
 * Adverts for a keyed button (anything but its key's bytes), a plain one and strangers, with random
 * MAC text and time steps: `advert` never throws, logs no handling error, and no advert to the keyed
 * MAC made without its key ever becomes a press (the spoofing of issue 9).
 */
export const bleReceiver: FuzzTarget<{ mac: string; sd: Uint8Array; stepMs: number; rssi?: number }> = {
  name: "ble.receiver",
  ciRuns: 1000,
  arbitrary: fc.record(
    {
      mac: fc.oneof(
        fc.constantFrom(KEYED_MAC, PLAIN_MAC, KEYED_MAC.toLowerCase(), PLAIN_MAC.replaceAll(":", "-")),
        fc.string({ maxLength: 20 }),
        macBytes.map(formatMac),
      ),
      sd: wireBytes(validServiceData, 40),
      stepMs: fc.nat({ max: 120_000 }),
      rssi: fc.integer({ min: -120, max: 20 }),
    },
    { requiredKeys: ["mac", "sd", "stepMs"] },
  ),
  run({ mac, sd, stepMs, rssi }) {
    rig ??= receiverRig();
    const { receiver, sink, clock } = rig;
    const before = sink.presses.length;
    const errorsBefore = rig.errors();
    clock.advanceBy(stepMs);
    receiver.advert({ mac, serviceData: sd, ...(rssi !== undefined ? { rssi } : {}) });
    invariant(rig.errors() === errorsBefore, "advert handling logged an error (a throw inside the receiver)");
    const fresh = sink.presses.slice(before);
    for (const p of fresh)
      invariant(p.device !== "keyed", `a press from the keyed button without its key: ${hexOf(sd)}`);
    // Presses are only counted, not kept: the run's memory must not grow with its length.
    sink.presses.length = 0;
  },
};

/** Presses the receiver passed on so far, by device: the CI test checks the plain button's get through. */
export function receiverPresses(): ReadonlyMap<string, number> {
  return rig?.sink.pressCount ?? new Map();
}
