/**
 * The agent in a child process, for the SIGKILL test: the real Agent with a simulated line and button,
 * against the broker given on the command line.
 *   burst: press the button and feed readings as fast as possible, printing every alert and event id
 *          after its put returned (committed) as "C <id>", and the telemetry count as "T <n>".
 *   idle:  just run (and deliver what the outbox holds) until SIGTERM; prints "DRAINED" once the rows
 *          from before its start are all delivered.
 */
import { createLogger } from "../../src/core/log.js";
import { reportCommits, writeLedgerLine } from "../helpers/child-ledger.js";
import { simHomeAgent } from "../helpers/sim-home.js";

const [brokerUrl, stateDir, mode] = process.argv.slice(2) as [string, string, "burst" | "idle"];
const { agent, devices, clock } = simHomeAgent({
  brokerUrl,
  stateDir,
  log: createLogger({ level: "error" }),
});
const out = writeLedgerLine;

await agent.start();
out("READY");
if (mode === "burst") {
  reportCommits(agent.outbox);
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
