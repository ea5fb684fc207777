import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { AlertBody, Envelope } from "../../src/contract/messages.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { runReplay } from "../../src/replay/run.js";

/**
 * `hearth replay` with the home's config judges a device's silence as the agent does: a Zigbee button
 * whose profile says it is heard every hour (aqara-wxkg11lm, `heard_every: 1h`) and that reports every
 * 55 minutes is never `monitoring_degraded`; without the config (devices taken from the input) the
 * 45-minute `degraded_after` applies to it, as it did to every device before.
 */
const line = (min: number, device: string, channel: string, value: number) => {
  const hh = String(Math.floor(min / 60)).padStart(2, "0");
  const mm = String(min % 60).padStart(2, "0");
  return JSON.stringify({ ts: `2026-03-02T${hh}:${mm}:00+08:00`, device, channel, value });
};

/** 08:00–16:00: the meter every 10 min, the button's battery report every 55 min. */
function lines(): string[] {
  const out: string[] = [];
  for (let m = 8 * 60; m <= 16 * 60; m += 5) {
    if (m % 10 === 0) out.push(line(m, "meter-1", "power_w", 40 + (m % 3)));
    if ((m - 8 * 60) % 55 === 0) out.push(line(m, "button-1", "battery_pct", 97));
  }
  return out;
}

function home() {
  const cat = loadCatalogue();
  const yaml = `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud: { brokers: [{ url: "mqtt://127.0.0.1:1883" }] }
zigbee2mqtt: { url: "mqtt://127.0.0.1:1883", base_topic: zigbee2mqtt }
devices:
  - { id: button-1, profile: aqara-wxkg11lm, ieee_address: "0x00158d0001a2b3c4" }
`;
  const r = parseConfig(yaml, "t.yaml", cat.profiles);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { config: r.value, profiles: cat.profiles };
}

async function degraded(withConfig: boolean): Promise<string[]> {
  const out: Envelope[] = [];
  await runReplay(lines(), {
    ...(withConfig ? home() : {}),
    emit: (e) => out.push(e),
    problem: (n, r) => {
      throw new Error(`line ${n}: ${r}`);
    },
  });
  return out
    .filter((e) => e.type === "alert" && (e.body as AlertBody).kind === "monitoring_degraded")
    .map((e) => `${(e.body as AlertBody).device}:${(e.body as AlertBody).state}`);
}

describe("replay: a device's own silence limit", () => {
  it("the config's profiles give the button its hourly heartbeat: never degraded", async () => {
    expect(await degraded(true)).toEqual([]);
  });

  it("without the config the 45-minute limit applies to it: degraded, then cleared, each hour", async () => {
    const states = await degraded(false);
    expect(states.length).toBeGreaterThanOrEqual(10);
    expect(states.slice(0, 2)).toEqual(["button-1:raised", "button-1:cleared"]);
  });
});
