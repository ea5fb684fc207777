import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { plainRemote } from "../../src/config/schema.js";
import { formatProblem } from "../../src/core/yaml-validate.js";

/** Plain MQTT leaves this machine only when the config says so in so many words (issue 9). */
function home(broker: string): string {
  return `version: 1
home: { id: h1, timezone: Asia/Shanghai }
state_dir: /var/lib/hearth
cloud:
  brokers:
    - ${broker}
devices: []
`;
}

const check = (broker: string) => parseConfig(home(broker), "home.yaml", new Map());

describe("broker URLs", () => {
  it("a plain mqtt:// URL to another host is refused, naming the fix, on the url's line", () => {
    for (const url of ["mqtt://broker.care.example:1883", "tcp://10.0.0.2:1883", "mqtt://[fe80::1]:1883"]) {
      const r = check(`{ url: "${url}", username: gw, password: pw }`);
      expect(r.ok, url).toBe(false);
      if (r.ok) continue;
      const text = r.problems.map(formatProblem).join("\n");
      expect(text).toContain("cloud.brokers[0].url");
      expect(text).toContain("insecure: true");
      expect(r.problems[0]?.line).toBe(6);
    }
  });

  it("is allowed with insecure: true, to this machine, and over TLS", () => {
    for (const broker of [
      "{ url: mqtt://broker.care.example:1883, insecure: true }",
      "{ url: mqtt://127.0.0.1:1883 }",
      "{ url: mqtt://localhost:1883 }",
      '{ url: "mqtt://[::1]:1883" }',
      "{ url: mqtts://broker.care.example:8883 }",
      "{ url: tls://broker.care.example:8883 }",
    ]) {
      const r = check(broker);
      expect(r.ok ? "ok" : r.problems.map(formatProblem).join("\n"), broker).toBe("ok");
    }
  });

  it("knows which hosts are this machine", () => {
    expect(plainRemote("mqtt://127.0.0.53:1883")).toBe(false);
    expect(plainRemote("mqtt://user:p@ss@127.0.0.1:1883")).toBe(false);
    expect(plainRemote("mqtt://127.0.0.1.example:1883")).toBe(true);
    expect(plainRemote("mqtt://localhost.example:1883")).toBe(true);
    expect(plainRemote("mqtts://broker.example:8883")).toBe(false);
  });

  it("a broker URL or password that is refused is not echoed", () => {
    const secret = "s3cr#t-pa55";
    for (const broker of [
      `{ url: "mqtt://gw:${secret}@broker.care.example:1883" }`,
      `{ url: "http://gw:${secret}@broker.care.example" }`,
      `{ url: "mqtt://gw:${secret}@@host:1883/x" }`,
      `{ url: mqtts://broker.care.example:8883, password: [${secret}] }`,
    ]) {
      const r = check(broker);
      expect(r.ok, broker).toBe(false);
      if (r.ok) continue;
      const text = r.problems.map(formatProblem).join("\n") + JSON.stringify(r.problems);
      expect(text, broker).not.toContain("s3cr");
      expect(text, broker).not.toContain("pa55");
    }
  });
});
