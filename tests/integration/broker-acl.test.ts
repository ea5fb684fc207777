import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";
import { mosquittoAvailable, startMosquitto } from "../helpers/brokers.js";

// deploy/mosquitto.acl in a real Mosquitto: a gateway reads only its own commands and publishes none;
// only the backend publishes commands. (Users here are unauthenticated names: the ACL is under test,
// not the passwords or certificates that bind a name to a client.)
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function client(url: string, username: string, seen: string[]): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    username,
    clientId: `${username}-${Math.random()}`,
    reconnectPeriod: 0,
  });
  cleanups.push(() => c.endAsync());
  c.on("message", (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  return c;
}

describe.runIf(mosquittoAvailable())("deploy/mosquitto.acl", () => {
  it("a gateway gets only its own commands and cannot send one; the backend can", async () => {
    const broker = await startMosquitto({
      extra: [`acl_file ${join(packageRoot(), "deploy/mosquitto.acl")}`],
    });
    cleanups.push(() => broker.close());
    const a: string[] = [];
    const b: string[] = [];
    const gwA = await client(broker.url, "home-a", a);
    const gwB = await client(broker.url, "home-b", b);
    const backend = await client(broker.url, "hearth-backend", []);
    await gwA.subscribeAsync("hearth/v1/home-a/cmd/+", { qos: 1 });
    // Another home's commands: the subscription is refused or delivers nothing.
    await gwA.subscribeAsync("hearth/v1/home-b/cmd/+", { qos: 1 }).catch(() => undefined);
    await gwB.subscribeAsync("hearth/v1/home-b/cmd/+", { qos: 1 });

    // A gateway forging a command for another home, and for itself: dropped by the broker.
    await gwA.publishAsync("hearth/v1/home-b/cmd/watch", "forged-by-a", { qos: 1 }).catch(() => undefined);
    await gwA.publishAsync("hearth/v1/home-a/cmd/watch", "self-made", { qos: 1 }).catch(() => undefined);
    // The backend's commands, after those (a fence: once they arrive, the forged ones had their chance).
    await backend.publishAsync("hearth/v1/home-b/cmd/ping", "from-backend-b", { qos: 1 });
    await backend.publishAsync("hearth/v1/home-a/cmd/ping", "from-backend-a", { qos: 1 });
    await expect.poll(() => b.length + a.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

    expect(b).toEqual(["hearth/v1/home-b/cmd/ping from-backend-b"]);
    expect(a).toEqual(["hearth/v1/home-a/cmd/ping from-backend-a"]);
  });
});
