/**
 * The agent in a child process, for the SIGKILL test: the real Agent with a simulated line and button,
 * against the broker given on the command line.
 *   burst: press the button and feed readings as fast as possible, printing every alert and event id
 *          after its put returned (committed) as "C <id>", and the telemetry count as "T <n>".
 *   idle:  just run (and deliver what the outbox holds) until SIGTERM; prints "DRAINED" once the rows
 *          from before its start are all delivered.
 */
import { writeSync } from "node:fs";
import { createLogger } from "../../src/core/log.js";
import { simHomeAgent } from "../helpers/sim-home.js";

const [brokerUrl, stateDir, mode] = process.argv.slice(2) as [string, string, "burst" | "idle"];
const { agent, devices, clock } = simHomeAgent({
  brokerUrl,
  stateDir,
  log: createLogger({ level: "error" }),
});
const pause = new Int32Array(new SharedArrayBuffer(4));
/**
 * One ledger line, written before the caller goes on (a line is the claim "committed"). stdout is a
 * pipe the parent may be slow to drain on a loaded machine: EAGAIN means wait a millisecond and retry,
 * not crash the child before the SIGKILL the test is about.
 */
const out = (line: string) => {
  const buf = Buffer.from(`${line}\n`);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
};

await agent.start();
out("READY");
if (mode === "burst") {
  const outbox = agent.outbox;
  const putAlert = outbox.putAlert.bind(outbox);
  const putEvent = outbox.putEvent.bind(outbox);
  const putTelemetry = outbox.putTelemetry.bind(outbox);
  let telemetry = 0;
  outbox.putAlert = (b) => {
    const env = putAlert(b);
    out(`C ${env.id}`);
    return env;
  };
  outbox.putEvent = (b) => {
    const env = putEvent(b);
    out(`C ${env.id}`);
    return env;
  };
  outbox.putTelemetry = (b) => {
    putTelemetry(b);
    telemetry++;
    out(`T ${telemetry}`);
  };
  const tick = () => {
    devices.button().press("press");
    const mono = clock.monotonicMs();
    for (let i = 0; i < 20; i++)
      agent.pipeline.readings([{ device: "meter-1", channel: "power_w", value: 30 + i, mono }]);
    setImmediate(tick);
  };
  tick();
} else {
  // Tell the parent once nothing written before this start is still undelivered: the first moment
  // the outbox holds no pending row (lanes replay oldest first, so older rows would still be there).
  const drained = setInterval(() => {
    const d = agent.outbox.depth();
    if (d.alert + d.event + d.telemetry > 0) return;
    clearInterval(drained);
    out("DRAINED");
  }, 50);
  await new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()));
  clearInterval(drained);
  await agent.stop();
  out("STOPPED");
}
