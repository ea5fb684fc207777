import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldHandlers } from "../../src/agent/field-handlers.js";
import { parseConfig } from "../../src/config/load.js";
import type { CommandEnvelope } from "../../src/contract/messages.js";
import { silentLogger } from "../../src/core/log.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { sha256Hex, signRelease } from "../../src/update/signature.js";
import { fakeGateway, releaseTarball } from "./helpers.js";

const tar = releaseTarball("2.0.0", "healthy");
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/hearth-2.0.0.tar.gz") res.end(tar);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function handlers() {
  const gw = fakeGateway();
  const profiles = loadCatalogue().profiles;
  const parsed = parseConfig(readFileSync(gw.configPath, "utf8"), gw.configPath, profiles);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const h = fieldHandlers({
    configPath: gw.configPath,
    stateDir: gw.stateDir,
    config: parsed.value,
    profiles,
    log: silentLogger(),
  });
  return { gw, h };
}
const cmd = { id: "c-update-01" } as CommandEnvelope;

describe("the cloud's update command (agent side)", () => {
  it("downloads, checks the SHA-256 and the signature, stages the release and asks the root helper", async () => {
    const { gw, h } = handlers();
    const reply = await h.update(
      {
        url: `${base}/hearth-2.0.0.tar.gz`,
        sha256: sha256Hex(tar),
        signature: signRelease(tar, gw.releaseKey),
      },
      cmd,
    );
    expect(reply).toMatchObject({ accepted: true });
    expect(readdirSync(join(gw.stateDir, "updates"))).toHaveLength(1);
    expect(readdirSync(join(gw.stateDir, "privileged", "requests"))).toHaveLength(1);
  });

  it("refuses a wrong checksum, a bad signature and a missing file, staging nothing", async () => {
    const { gw, h } = handlers();
    const good = {
      url: `${base}/hearth-2.0.0.tar.gz`,
      sha256: sha256Hex(tar),
      signature: signRelease(tar, gw.releaseKey),
    };
    await expect(Promise.resolve(h.update({ ...good, sha256: "f".repeat(64) }, cmd))).rejects.toThrow(
      /SHA-256 is not the one/,
    );
    const other = generateKeyPairSync("ed25519").privateKey;
    await expect(
      Promise.resolve(h.update({ ...good, signature: signRelease(tar, other) }, cmd)),
    ).rejects.toThrow(/does not verify with the release key/);
    await expect(Promise.resolve(h.update({ ...good, url: `${base}/nothing.tar.gz` }, cmd))).rejects.toThrow(
      /HTTP 404/,
    );
    expect(existsSync(join(gw.stateDir, "updates"))).toBe(false);
    expect(existsSync(join(gw.stateDir, "privileged"))).toBe(false);
  });
});
