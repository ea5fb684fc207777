import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";
import {
  buildGraph,
  type FolderRule,
  fileCycles,
  folderCycles,
  loadedBy,
  longFiles,
  ruleViolations,
} from "./graph.js";

const root = packageRoot();
const graph = buildGraph(root, ["src", "drivers", "tests"]);
const product = buildGraph(root, ["src", "drivers"]);

const LEAVES = ["src/core", "src/profiles", "src/config", "src/contract"];

/**
 * Which way the imports run (docs/ARCHITECTURE.md). Every folder of src/ and drivers/ has a rule;
 * type-only imports obey the same rules as any other.
 */
const RULES: Record<string, FolderRule> = {
  "src/core": { may: [], packages: ["pino", "yaml", "zod", "mqtt"] },
  "src/profiles": { may: ["src/core"], packages: ["zod", "yaml"] },
  "src/config": { may: ["src/core", "src/profiles"], packages: ["zod", "yaml"] },
  "src/contract": { may: ["src/core"], packages: ["zod"] },
  "src/pipeline": { may: ["src/core", "src/config", "src/profiles", "src/contract"], packages: [] },
  "src/outbox": { may: ["src/core", "src/contract"], packages: ["better-sqlite3"] },
  "src/uplink": { may: ["src/core", "src/config", "src/contract"], packages: ["mqtt"] },
  "src/control": { may: ["src/core"], packages: [] },
  /** `hearth provision`'s parts: values, the config document, the diff, the files' owners and modes, the prompts. */
  "src/provision": { may: ["src/core"], packages: ["yaml"] },
  /** `hearth doctor`'s checks: the config, files, the machine, the outbox read-only, the broker, the agent's status. */
  "src/doctor": {
    may: [...LEAVES, "src/outbox", "src/uplink", "src/control", "src/cellular", "src/provision"],
    packages: [],
  },
  /** Under systemd only: readiness and the watchdog (unix-dgram, loaded with require when NOTIFY_SOCKET is set). */
  "src/service": { may: ["src/core"], packages: [] },
  "src/outputs": { may: ["src/core", "src/config", "src/contract"], packages: [] },
  /** The root helper's boundary and its actions (switch-release, write-config, install-certificate, decommission). */
  "src/privileged": {
    may: [...LEAVES, "src/lifecycle", "src/update", "src/remote-config", "src/certs", "src/decommission"],
    packages: ["yaml"],
  },
  /** What the root helper's actions share: the service manager, the health check, the outcome events. */
  "src/lifecycle": { may: ["src/core", "src/contract", "src/control"], packages: [] },
  "src/update": { may: ["src/core", "src/privileged"], packages: ["yaml"] },
  "src/remote-config": { may: ["src/core", "src/config", "src/profiles"], packages: ["yaml"] },
  "src/certs": { may: ["src/core", "src/config", "src/privileged", "src/uplink"], packages: [] },
  "src/support": {
    may: ["src/core", "src/outbox", "src/remote-config"],
    packages: ["better-sqlite3", "yaml"],
  },
  "src/decommission": { may: ["src/core", "src/privileged"], packages: ["yaml"] },
  "src/broker": { may: ["src/core"], packages: ["aedes"] },
  /** The SMS fallback's modem: ModemManager over D-Bus, the fallback's timing, the modem's supervision. */
  "src/cellular": { may: ["src/core", "src/config", "src/contract"], packages: ["dbus-next"] },
  /** The cloud side speaks only the public contract: nothing of the gateway's pipeline, outbox, uplink or drivers. */
  "src/receiver": {
    may: ["src/core", "src/contract", "src/receiver"],
    packages: ["mqtt", "better-sqlite3", "pg", "zod", "yaml"],
  },
  "src/replay": { may: [...LEAVES, "src/pipeline"], packages: [] },
  "src/eval": { may: [...LEAVES, "src/pipeline", "src/replay", "src/sim"], packages: [] },
  "src/agent": {
    may: [
      ...LEAVES,
      "src/pipeline",
      "src/outbox",
      "src/uplink",
      "src/control",
      "src/outputs",
      "src/cellular",
      "drivers/*",
      // The field commands (update, config, certificates): dynamic imports where they run.
      "src/lifecycle",
      "src/certs",
      "src/update",
      "src/remote-config",
      "src/privileged",
    ],
    packages: ["@serialport/bindings-cpp", "zod"],
  },
  "src/sim": {
    may: [...LEAVES, "src/replay", "src/agent", "src/broker", "drivers/*"],
    packages: ["mqtt"],
  },
  "src/cli": {
    may: [
      ...LEAVES,
      "src",
      "src/pipeline",
      "src/outbox",
      "src/agent",
      "src/control",
      "src/doctor",
      "src/provision",
      "src/privileged",
      "src/service",
      "src/uplink",
      "src/eval",
      "src/replay",
      "src/sim",
      "src/receiver",
      "src/cellular",
      "drivers/*",
      "src/privileged",
      "src/update",
      "src/support",
      "src/decommission",
    ],
    packages: ["commander", "cli-progress", "@serialport/bindings-cpp", "yaml"],
  },
  /** src/schemas.ts: the JSON Schemas generated from the code. */
  src: { may: LEAVES, packages: ["zod"] },
  "drivers/*": {
    may: ["src/core", "src/profiles", "drivers/*"],
    packages: ["crc", "@serialport/stream", "@serialport/bindings-cpp", "node-ble", "mqtt"],
  },
};

const rel = (p: string) => (p.startsWith("/") ? relative(root, p) : p);

describe("the import graph", () => {
  it("reads every import (nothing unresolved, nothing computed)", () => {
    expect(graph.problems.map((p) => `${rel(p.file)}:${p.line} ${p.what}`)).toEqual([]);
    // Sanity: the parser sees the graph (a broken reader would pass every rule below with no edges).
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.edges.filter((e) => e.typeOnly).length).toBeGreaterThan(20);
  });

  it("has no import cycle between files, type-only imports included", () => {
    expect(fileCycles(graph)).toEqual([]);
  });

  it("has no import cycle between folders, type-only imports included", () => {
    expect(folderCycles(graph).map((c) => c.join(" ⇄ "))).toEqual([]);
  });

  it("every folder of src/ and drivers/ imports only what its rule allows", () => {
    expect(ruleViolations(product, RULES)).toEqual([]);
  });

  it("no file in src/ or drivers/ is longer than 400 lines unless its opening comment says why", () => {
    expect(longFiles(product, 400)).toEqual([]);
  });
});

describe("the receiver (src/receiver)", () => {
  it("loads only the public contract and the core of the project, never the gateway's parts", () => {
    const entry = join(root, "src/receiver/index.ts");
    const loaded = [...loadedBy(graph, entry, { dynamic: true })].map(rel);
    // The check can fail: the receiver does reach the contract.
    expect(loaded).toContain("src/contract/messages.ts");
    const project = loaded.filter((f) => f.startsWith("src/") || f.startsWith("drivers/"));
    expect(project.filter((f) => !/^src\/(receiver|contract|core)\//.test(f))).toEqual([]);
  });
});

describe("what `hearth run` loads", () => {
  const run = join(root, "src/cli/run.ts");
  const main = join(root, "src/cli/main.ts");
  const loaded = [...loadedBy(graph, run, { dynamic: true })].map(rel);
  const atStart = [...loadedBy(graph, main, { dynamic: false })].map(rel);

  it("never a simulator, the demo broker or a tool-only package", () => {
    // The check can fail: the demo command does reach the simulators and the broker.
    const demo = [...loadedBy(graph, join(root, "src/cli/demo.ts"), { dynamic: true })].map(rel);
    expect(demo.filter((f) => /(^|\/)sim\//.test(f)).length).toBeGreaterThan(0);
    expect(demo).toContain("aedes");

    expect(loaded).toContain("src/agent/agent.ts");
    expect(loaded.filter((f) => /(^|\/)sim\/|^src\/(broker|eval|replay)\//.test(f))).toEqual([]);
    expect(loaded.filter((f) => ["aedes", "cli-progress"].includes(f))).toEqual([]);
  });

  it("the SMS fallback's modem code (src/cellular) only through the import made where `sms:` is configured", () => {
    // The check can fail: `hearth run` does reach it, dynamically.
    expect(loaded).toContain("src/cellular/modem-manager.ts");
    const agentStatic = [...loadedBy(graph, join(root, "src/agent/agent.ts"), { dynamic: false })].map(rel);
    expect(agentStatic).toContain("src/agent/cellular.ts");
    expect(agentStatic.filter((f) => f.startsWith("src/cellular/") || f === "dbus-next")).toEqual([]);
  });

  it("the command line loads each command's code only when that command runs", () => {
    expect(atStart).toContain("commander");
    expect(atStart.filter((f) => /^src\/(agent|sim|broker|eval|replay)\/|^drivers\//.test(f))).toEqual([]);
    expect(atStart.filter((f) => ["aedes", "cli-progress", "better-sqlite3", "mqtt"].includes(f))).toEqual(
      [],
    );
  });
});
