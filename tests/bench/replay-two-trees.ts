/**
 * The suite's replay measure for two trees in one process (issue 14, replay): this tree's uplink, another
 * tree's (a checkout of the commit before a change) and raw MQTT.js within the broker's receive maximum,
 * on one Mosquitto, the three sides' order turning each round, 2,000 messages a round; then the CPU time
 * of marking 2,000 stored rows as a replay does (deferred marks, 20 PUBACKs at a time, batches of 256)
 * and of the `settle` after it, in each tree. One run of the suite's module (7 rounds) swings by ±0.15×
 * on the shared machine; many interleaved rounds compare the trees under the same load.
 *
 * `npx vite-node tests/bench/replay-two-trees.ts -- --base=/path/to/other/tree [--rounds=40]`
 * (the other tree needs its node_modules, e.g. a symlink to this one's).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

type Rate = (url: string, dir: string, n: number) => Promise<number>;
interface ReplayModule {
  ours: Rate;
  raw: (url: string, n: number, window: "all" | "receive-maximum") => Promise<number>;
}
interface OutboxModules {
  SqliteOutbox: new (
    o: unknown,
  ) => {
    open(): void;
    putTelemetry(b: unknown): void;
    flush(): void;
    pending(n: number): { seq: number }[];
    markDeliveredLater(seqs: number[]): void;
    settle(): unknown;
    close(): void;
  };
  outboxOptions: (path: string, over: Record<string, unknown>) => unknown;
  telemetryBody: (n: number) => unknown;
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const baseDir = arg("base");
if (!baseDir) {
  console.error(
    "usage: npx vite-node tests/bench/replay-two-trees.ts -- --base=/path/to/other/tree [--rounds=40]",
  );
  process.exit(2);
}
const rounds = Number(arg("rounds") ?? 40);
const here = resolve(import.meta.dirname, "../..");
const trees = { before: resolve(baseDir), after: here };
const N = 2000;

const median = (a: readonly number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] ?? Number.NaN;
const load = () => loadavg()[0]?.toFixed(1);

async function replay(): Promise<void> {
  const mod = async (tree: string) =>
    (await import(join(tree, "tests/bench/suite/replay-vs-raw.ts"))) as ReplayModule;
  const before = await mod(trees.before);
  const after = await mod(trees.after);
  const { startMosquitto } = await import("../helpers/brokers.js");
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), "hearth-two-trees-"));
  const got: Record<"before" | "after" | "raw", number[]> = { before: [], after: [], raw: [] };
  const sides: ["before" | "after" | "raw", () => Promise<number>][] = [
    ["before", () => before.ours(broker.url, dir, N)],
    ["after", () => after.ours(broker.url, dir, N)],
    ["raw", () => after.raw(broker.url, N, "receive-maximum")],
  ];
  const l0 = load();
  try {
    for (const [, run] of sides) await run(); // warm-up, not counted
    for (let i = 0; i < rounds; i++)
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(i + k) % sides.length];
        if (side) got[side[0]].push(await side[1]());
      }
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = (s: "before" | "after") => median(got[s].map((v, i) => v / (got.raw[i] ?? Number.NaN)));
  const perRound = median(got.after.map((v, i) => v / (got.before[i] ?? Number.NaN)));
  console.log(
    `replay, ${rounds} rounds of ${N}, load ${l0}–${load()}: before ${ratio("before").toFixed(2)}× ` +
      `(${median(got.before).toFixed(0)} msgs/s), after ${ratio("after").toFixed(2)}× ` +
      `(${median(got.after).toFixed(0)} msgs/s), raw MQTT.js ${median(got.raw).toFixed(0)} msgs/s; ` +
      `after / before per round ${perRound.toFixed(3)}`,
  );
}

/** CPU ms (user + system) of `fn`. */
function cpu(fn: () => void): number {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

async function marks(name: "before" | "after", tree: string): Promise<void> {
  const m = {
    ...(await import(join(tree, "src/outbox/sqlite.ts"))),
    ...(await import(join(tree, "tests/outbox/fixtures.ts"))),
  } as OutboxModules;
  const marking: number[] = [];
  const settling: number[] = [];
  for (let r = 0; r < 9; r++) {
    const dir = mkdtempSync(join(tmpdir(), "hearth-two-trees-marks-"));
    const o = new m.SqliteOutbox(m.outboxOptions(join(dir, "outbox.db"), { telemetryBatch: 100 }));
    o.open();
    for (let i = 0; i < N; i++) o.putTelemetry(m.telemetryBody(i));
    o.flush();
    const seqs = o.pending(N).map((x) => x.seq);
    marking.push(
      cpu(() => {
        for (let i = 0; i < seqs.length; i += 20) o.markDeliveredLater(seqs.slice(i, i + 20));
      }),
    );
    settling.push(cpu(() => o.settle()));
    o.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // The first round compiles the code: left out.
  console.log(
    `marks, ${name}: ${N} marks ${median(marking.slice(1)).toFixed(1)} ms CPU, settle ` +
      `${median(settling.slice(1)).toFixed(1)} ms (median of 8, load ${load()})`,
  );
}

await replay();
await marks("before", trees.before);
await marks("after", trees.after);
process.exit(0);
