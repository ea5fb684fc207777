/**
 * The SMS fallback's own cost per message: `ModemManagerClient.status()` (one GetManagedObjects) and
 * `send()` (status, Messaging.Create, Sms.Send) over D-Bus, against the ModemManager impersonated by
 * python-dbusmock on a private bus (tests/helpers/modem-mock.ts). This is our side of the path only: a
 * real modem's Send() waits for the network, seconds, which no mock shows (docs/installer.md lists it
 * as untested). Sequential, after WARMUP calls; median, p95 and max in ms.
 *
 * Run: npx vite-node tests/bench/sms-send.ts   (HEARTH_BENCH_SMS=N for another count; default 200)
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { ModemManagerClient } from "../../src/cellular/modem-manager.js";
import { ModemMock, modemMockTools } from "../helpers/modem-mock.js";

const N = Number(process.env.HEARTH_BENCH_SMS ?? 200);
const WARMUP = 20;

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN).toFixed(2);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${(s.at(-1) ?? Number.NaN).toFixed(2)} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const tools = modemMockTools();
  if (!tools.ok) {
    console.error(`skipped: ${tools.why}`);
    return;
  }
  const mm = new ModemMock();
  await mm.start();
  await mm.addModem();
  const client = new ModemManagerClient();
  const status: number[] = [];
  const send: number[] = [];
  try {
    for (let i = 0; i < WARMUP; i++) await client.status();
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await client.status();
      status.push(performance.now() - t0);
    }
    for (let i = 0; i < N + WARMUP; i++) {
      const t0 = performance.now();
      await client.send(
        "+8613800138000",
        "Hearth h1：紧急呼叫（button-1），2026-12-07 14:03。网络中断，监护中心可能未收到。",
      );
      if (i >= WARMUP) send.push(performance.now() - t0);
    }
    const sent = (await mm.sent()).length;
    console.log(`status(): ${summary(status)}`);
    console.log(`send():   ${summary(send)}; SMS objects sent on the mock: ${sent}`);
    console.log(
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    client.close();
    await mm.stop();
  }
}

await main();
