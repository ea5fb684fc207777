/**
 * Writes the console's screenshots for docs/receiver.md from a seeded store (four homes, a month and a
 * bit of daily visit records, open alerts), served by the receiver's HTTP side and shot in headless
 * Chromium:
 *
 *   npx vite-node tests/bench/console-screenshots.ts
 *
 * → docs/images/console-alerts.png, console-homes.png, console-home-month.png, console-phone.png
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/core/log.js";
import { ReceiverHttp } from "../../src/receiver/http.js";
import { SqliteStore } from "../../src/receiver/store/sqlite.js";
import type { ReceiverStore } from "../../src/receiver/store/types.js";
import { CHROMIUM, launchChromium } from "../helpers/browser.js";

const MIN = 60_000;
const DAY = 86_400_000;
/** The homes' local offset (+08:00), as their gateways write times. */
const OFFSET = 8 * 60 * MIN;

const local = (ms: number): string => `${new Date(ms + OFFSET).toISOString().slice(0, 23)}+08:00`;
const localDate = (ms: number): string => new Date(ms + OFFSET).toISOString().slice(0, 10);
/** A time of day on the local date of `dayMs`, e.g. 7.5 → 07:30. */
const at = (dayMs: number, hour: number): string => {
  const m = Math.round(hour * 60);
  const hh = String(Math.floor(m / 60)).padStart(2, "0");
  const mm = String(m % 60).padStart(2, "0");
  return `${localDate(dayMs)}T${hh}:${mm}:00.000+08:00`;
};

async function seed(store: ReceiverStore, now: number): Promise<void> {
  const homes: [string, "online" | "offline", Record<string, string>][] = [
    ["home-0101", "online", { "button-1": "online", "motion-hall": "online", "water-1": "online" }],
    ["home-0102", "online", { "button-1": "online", "motion-kitchen": "offline", "water-1": "online" }],
    ["home-0103", "online", { "button-1": "online", "door-front": "online" }],
    ["home-0104", "online", { "button-1": "online", "motion-hall": "online" }],
  ];
  for (const [home, state, devices] of homes)
    await store.applyStatus({
      home,
      state,
      session: 3,
      reason: undefined,
      version: "0.1.0",
      seq: 500,
      watch: "normal",
      replayDrained: true,
      health: { uptime_s: 86_400, devices },
      at: home === "home-0103" ? now - 45 * MIN : now - 2 * MIN,
    });
  await store.applyStatus({
    home: "home-0103",
    state: "offline",
    session: 3,
    reason: "connection lost",
    version: "0.1.0",
    seq: 501,
    watch: undefined,
    replayDrained: false,
    health: undefined,
    at: now - 40 * MIN,
  });
  await store.setDesiredWatch("home-0104", "away", local(now + 9 * DAY));
  const alert = (over: {
    alert: string;
    home: string;
    kind: string;
    ago: number;
    evidence: Record<string, unknown>;
  }) =>
    store.applyAlert({
      alert: over.alert,
      home: over.home,
      kind: over.kind,
      state: "raised",
      device: undefined,
      since: local(now - over.ago),
      evidence: over.evidence,
      origin: over.kind === "gateway_offline" ? "receiver" : "gateway",
      messageId: `m-${over.alert}`,
      updatedAt: now - over.ago,
    });
  await alert({
    alert: "alert-call-0101",
    home: "home-0101",
    kind: "call",
    ago: 70 * MIN,
    evidence: { button: "press", device: "button-1" },
  });
  await store.markAckSent("alert-call-0101", "operator Li", "neighbour went over, all fine", now - 60 * MIN);
  await alert({
    alert: "alert-offline-0103",
    home: "home-0103",
    kind: "gateway_offline",
    ago: 40 * MIN,
    evidence: { by: "will", reason: "connection lost" },
  });
  await alert({
    alert: "alert-inactivity-0102",
    home: "home-0102",
    kind: "inactivity",
    ago: 4 * MIN,
    evidence: {
      last_activity: { at: local(now - 245 * MIN), source: "water", device: "water-1", detail: "4 L used" },
      silence_s: 245 * 60,
      threshold_s: 240 * 60,
      rule: "max_silence_day",
    },
  });
  // Forty days of visit records for home-0102, a varied but steady life; one day with no record
  // (the gateway was unplugged), two days with alerts.
  for (let d = 40; d >= 1; d--) {
    const day = now - d * DAY;
    if (d === 17) continue;
    const wave = Math.sin(d * 1.7);
    const first = 6.5 + Math.abs(wave);
    const last = 20.5 + Math.abs(Math.cos(d)) * 1.5;
    const active = Math.round(9 + 3 * wave);
    const alerts =
      d === 9
        ? [{ alert: `a-${d}`, kind: "inactivity", state: "acknowledged" }]
        : d === 23
          ? [{ alert: `a-${d}`, kind: "call", state: "acknowledged" }]
          : [];
    await store.putSummary({
      home: "home-0102",
      date: localDate(day),
      seq: 1000 - d,
      messageId: `m-sum-${d}`,
      body: {
        date: localDate(day),
        first_activity: at(day, first),
        last_activity: at(day, last),
        active_hours: active,
        activity_by_hour: Array.from({ length: 24 }, (_, h) => (h >= first && h <= last ? 2 : 0)),
        alerts,
      },
      receivedAt: day,
    });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-shots-"));
  const store = new SqliteStore(join(dir, "rx.db"));
  await store.migrate();
  const now = Date.now();
  await seed(store, now);
  const http = new ReceiverHttp(
    { host: "127.0.0.1", port: 0, token: undefined },
    {
      store,
      log: silentLogger(),
      now: () => Date.now(),
      ack: () => Promise.resolve(false),
      watch: () => Promise.resolve(),
    },
  );
  await http.start();
  const base = `http://127.0.0.1:${http.address?.port}/`;
  const browser = await launchChromium();
  const out = join(import.meta.dirname, "../../docs/images");
  mkdirSync(out, { recursive: true });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 640 });
    await page.goto(`${base}#alerts`, { waitUntil: "load" });
    await page.waitForSelector("li.alert");
    await page.waitForFunction(`document.getElementById("live")?.textContent === "live"`);
    await page.screenshot({ path: join(out, "console-alerts.png") });
    await page.goto(`${base}#homes`, { waitUntil: "load" });
    await page.waitForSelector("li.home");
    await page.screenshot({ path: join(out, "console-homes.png") });
    // The last complete month of records.
    const month = localDate(new Date(`${localDate(now).slice(0, 8)}01`).getTime() - DAY).slice(0, 7);
    await page.setViewport({ width: 1100, height: 980 });
    await page.goto(`${base}#home/home-0102/${month}`, { waitUntil: "load" });
    await page.waitForSelector(".day.a1, .day.a2, .day.a3, .day.a4");
    await page.screenshot({ path: join(out, "console-home-month.png"), fullPage: true });
    // A phone: the same page, one column.
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1, isMobile: true });
    await page.goto(`${base}#alerts`, { waitUntil: "load" });
    await page.waitForSelector("li.alert");
    await page.screenshot({ path: join(out, "console-phone.png") });
    console.log(
      `wrote console-alerts.png, console-homes.png, console-home-month.png, console-phone.png in ${out} (${CHROMIUM})`,
    );
  } finally {
    await browser.close();
    await http.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
