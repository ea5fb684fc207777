/**
 * What one watchdog ping costs, each way (docs/decisions/systemd-notify.md): `systemd-notify
 * WATCHDOG=1` spawned per ping, against one `sendto` through the unix-dgram addon. A Python receiver
 * plays systemd's socket. Run: `npx vite-node tests/bench/notify-cost.ts [-- N]`.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Dgram {
  createSocket(t: "unix_dgram"): {
    send(b: Buffer, o: number, l: number, p: string, cb: (e?: Error) => void): void;
    close(): void;
  };
}
const N = Number(process.argv[2] ?? 200);
const path = join(mkdtempSync(join(tmpdir(), "hearth-notify-cost-")), "notify");
const receiver = spawn("/usr/bin/python3", [
  "-c",
  `import socket\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(path)})\nprint("up",flush=True)\nwhile True: s.recv(4096)`,
]);
await new Promise((r) => receiver.stdout.once("data", r));
let t = performance.now();
for (let i = 0; i < N; i++)
  spawnSync("/usr/bin/systemd-notify", ["WATCHDOG=1"], { env: { NOTIFY_SOCKET: path } });
const spawnMs = (performance.now() - t) / N;
const loadT = performance.now();
const dgram = createRequire(import.meta.url)("unix-dgram") as Dgram;
const loadMs = performance.now() - loadT;
const s = dgram.createSocket("unix_dgram");
const buf = Buffer.from("WATCHDOG=1");
let retries = 0;
t = performance.now();
for (let i = 0; i < N; i++) {
  // One ping at a time, as the agent sends them; the receiver's queue is short (max_dgram_qlen).
  await new Promise((r) => setImmediate(r));
  // A full receiver queue is EAGAIN (-11): wait for the receiver and send again, counted.
  while (!(await new Promise<boolean>((r) => s.send(buf, 0, buf.length, path, (e) => r(!e))))) {
    retries++;
    await new Promise((r) => setTimeout(r, 1));
  }
}
const sendMs = (performance.now() - t) / N;
s.close();
receiver.kill();
console.log(
  JSON.stringify({
    pings: N,
    systemd_notify_ms_per_ping: Number(spawnMs.toFixed(2)),
    unix_dgram_ms_per_ping: Number(sendMs.toFixed(4)),
    unix_dgram_load_ms: Number(loadMs.toFixed(1)),
    unix_dgram_retries_full_queue: retries,
  }),
);
