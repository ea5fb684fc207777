/**
 * DL/T 645 (2007 and 1997) and CJ/T 188 codec cost per frame, and a full DL/T 645 poll (4 identifiers) of
 * each edition through the real driver and SerialLine over a simulated line at 2400 baud with real byte time, the standard's rate.
 * Run: `npx vitest bench --run tests/bench/meter-codecs.bench.ts`.
 */
import { afterAll, bench, describe } from "vitest";
import * as cjt from "../../drivers/cjt188/codec.js";
import * as dlt from "../../drivers/dlt645/codec.js";
import * as dlt97 from "../../drivers/dlt645/codec1997.js";
import { decodeDlt645Frame } from "../../drivers/dlt645/decode.js";
import { Dlt645Driver } from "../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../drivers/dlt645/sim/index.js";
import { SerialLinePool } from "../../drivers/serial/pool.js";
import { SimulatedLine } from "../../drivers/serial/sim/index.js";
import { SystemClock } from "../../src/core/clock.js";
import type { ReadingSink } from "../../src/core/readings.js";
import { loadProfile } from "../helpers/profiles.js";

const dltReply = Buffer.from("681401003182216891083333343339333333f116", "hex");
const cjtReply = Buffer.from(
  "68104433221100337881161F900000776655" + "2C007766552C3101221105152021841316",
  "hex",
);
const fmt = dlt.KNOWN_IDENTIFIERS["00010000"] as dlt.KnownIdentifier;
// A 9010 reply captured from a 1997 meter (see tests/drivers/dlt645/codec1997.test.ts).
const dlt97Hex = "FEFEFEFE682759630300016881064" + "3C3AC594733C316";
const dlt97Reply = Buffer.from(dlt97Hex, "hex");

describe("codecs", () => {
  bench("DL/T 645: frameLength + decode + parse + value of a read reply", () => {
    dlt.frameLength(dltReply);
    const r = dlt.parseReadReply(dlt.decodeFrame(dltReply));
    if (r.kind === "data") dlt.decodeValue(r.value, fmt);
  });
  bench("DL/T 645: encode a read request", () => {
    dlt.readDataRequest("000000000001", "02010100");
  });
  bench("DL/T 645-1997: frameLength + decode + parse + value of a 9010 reply", () => {
    dlt.frameLength(dlt97Reply);
    const r = dlt97.parseReadReply1997(dlt.decodeFrame(dlt97Reply));
    if (r.kind === "data") dlt.decodeValue(r.value, fmt);
  });
  bench("hearth decode dlt645 of a 1997 reply (edition, table lookup, value)", () => {
    decodeDlt645Frame(dlt97Hex);
  });
  bench("CJ/T 188: frameLength + decode + parse a 901F reply", () => {
    cjt.frameLength(cjtReply);
    cjt.parseReadReply(cjt.decodeFrame(cjtReply));
  });
});

const profile = loadProfile("generic-dlt645-single-phase", "dlt645", {
  response_timeout_ms: 1000,
  inter_frame_gap_ms: 0,
  retries: 0,
  poll_interval_s: 3600,
});
// Real time: the bench measures what a poll costs on the wire and in CPU.
const clock = new SystemClock();
const meter = new Dlt645Meter({
  address: "000000000001",
  identifiers: profile.dlt645.identifiers,
  values: () => ({ energy_total_kwh: 1, voltage_v: 230, current_a: 1, power_w: 100 }),
  delayMs: 20,
});
const profile97 = loadProfile("generic-dlt645-1997-single-phase", "dlt645", profile.timing);
const meter97 = new Dlt645Meter({
  edition: 1997,
  address: "000000000097",
  identifiers: profile97.dlt645.identifiers,
  values: () => ({ energy_total_kwh: 1, voltage_v: 230, current_a: 1, power_w: 100 }),
  delayMs: 20,
});
const sim = new SimulatedLine({ baud: 2400, bitsPerChar: 11 }).addPort("/dev/ttyBENCH", meter, meter97);
const pool = new SerialLinePool({ binding: sim, clock });
const sink: ReadingSink = { readings: () => {}, button: () => {}, availability: () => {} };
const driver = new Dlt645Driver(
  [
    { id: "m", profile, port: "/dev/ttyBENCH", address: "000000000001" },
    {
      id: "m97",
      profile: { ...profile97, serial: profile.serial },
      port: "/dev/ttyBENCH",
      address: "000000000097",
    },
  ],
  {
    sink,
    clock,
    lines: pool,
  },
);
// Started by the first poll, not at load: the codec benches above spin the event loop without letting
// timers run, so a poll started now would time out and the meter's late replies would trail it.
let started = false;
afterAll(async () => {
  await driver.stop();
  await pool.stop();
});

describe("DL/T 645 poll at 2400 8E1 (11 bits a byte), 20 ms meter turnaround", () => {
  bench(
    "one poll of 4 identifiers",
    async () => {
      if (!started) {
        driver.start();
        started = true;
      }
      const r = await driver.pollNow("m");
      if (!r.ok) throw new Error(r.errors[0]?.message);
    },
    { iterations: 10, time: 0, warmupIterations: 1 },
  );
  bench(
    "one poll of 4 identifiers of a DL/T 645-1997 meter on the same line",
    async () => {
      if (!started) {
        driver.start();
        started = true;
      }
      const r = await driver.pollNow("m97");
      if (!r.ok) throw new Error(r.errors[0]?.message);
    },
    { iterations: 10, time: 0, warmupIterations: 1 },
  );
});
