/**
 * The agent in its own process for the fault suite: the real Agent (outbox, pipeline, uplink, control
 * socket) with the simulated home's meters and call button, so a scenario can SIGKILL it, starve it of
 * its broker or fake its wall clock while it works. Bundled once per run by child-bundle.ts and started
 * with plain node, because a thousand restarts through a TypeScript loader would take the suite's time.
 *
 * argv[2]: the ChildOptions as JSON. Lines on stdout, each written before the child goes on:
 *   READY             the agent has started
 *   C <id>            an alert or event whose put returned (committed, durable)
 *   T <n>             telemetry bodies handed to the outbox so far (buffered, committed in batches)
 *   P <n>             button adverts put on air so far
 *   DRAINED           after `drain`: the outbox holds nothing undelivered
 *   STOPPED           after SIGTERM: agent.stop() returned
 * Commands on stdin, one per line: `burst` (press and feed readings as fast as possible), `calm` (stop
 * the burst), `press <event>` (one encrypted press), `spoof <event>` (a plain advert from the keyed MAC),
 * `drain` (report DRAINED once nothing is pending).
 */
import { createInterface } from "node:readline";
import { SimulatedButton, SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import { createLogger } from "../../../src/core/log.js";
import { reportCommits, writeLedgerLine } from "../../helpers/child-ledger.js";
import { BUTTON_KEY, BUTTON_MAC, simHomeAgent } from "../../helpers/sim-home.js";
import type { ChildOptions } from "./child-options.js";

const options = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
let scanner: SimulatedScanner | undefined;
const { agent, clock } = simHomeAgent({
  brokerUrl: options.brokerUrl,
  mqttVersion: "5",
  stateDir: options.stateDir,
  home: options.home,
  extraCloud: options.extraCloud ?? "",
  ...(options.extraOutbox !== undefined ? { extraOutbox: options.extraOutbox } : {}),
  log: createLogger({ level: options.logLevel ?? "error" }),
  // The scenario's own scanner, so `spoof` and `press` reach the agent as adverts on air.
  host: {
    version: "faults",
    bleScanner: (consumer, adapter) => {
      scanner = new SimulatedScanner({ consumer, adapter });
      return scanner;
    },
  },
});

const out = writeLedgerLine;

await agent.start();
const outbox = agent.outbox;
reportCommits(outbox);

// The agent remembers the button's last encryption counter across restarts; a new process's button
// goes on from there, as the real button's counter does.
let button: SimulatedButton | undefined;
const theButton = (): SimulatedButton => {
  if (button) return button;
  if (!scanner) throw new Error("the agent built no BLE scanner");
  const stored = Number(outbox.kv.get(`bthome.counter.${BUTTON_MAC}`) ?? "0");
  button = new SimulatedButton({
    mac: BUTTON_MAC,
    key: BUTTON_KEY,
    scanner,
    repeats: 3,
    counter: stored + 1,
  });
  return button;
};
let adverts = 0;
let bursting = false;
let presses = 0;
const burstTick = () => {
  if (!bursting) return;
  // Mostly calls, some "I am fine" (an event), and a meter's worth of readings each round.
  theButton().press(presses++ % 4 === 3 ? "double_press" : "press");
  out(`P ${++adverts}`);
  const mono = clock.monotonicMs();
  for (let i = 0; i < 10; i++)
    agent.pipeline.readings([{ device: "meter-1", channel: "power_w", value: 30 + i, mono }]);
  setImmediate(burstTick);
};

let draining: ReturnType<typeof setInterval> | undefined;
createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === "burst" && !bursting) {
    bursting = true;
    burstTick();
  } else if (cmd === "calm") bursting = false;
  else if (cmd === "press") {
    theButton().press((arg ?? "press") as "press");
    out(`P ${++adverts}`);
  } else if (cmd === "spoof") {
    if (!scanner) throw new Error("the agent built no BLE scanner");
    // A spoofer copies the MAC, not the key.
    new SimulatedButton({ mac: BUTTON_MAC, scanner, repeats: 3 }).press((arg ?? "press") as "press");
    out(`P ${++adverts}`);
  } else if (cmd === "drain" && draining === undefined) {
    draining = setInterval(() => {
      outbox.flush();
      const d = outbox.depth();
      if (d.alert + d.event + d.telemetry > 0) return;
      clearInterval(draining);
      draining = undefined;
      out("DRAINED");
    }, 50);
  }
});
process.once("SIGTERM", () => {
  bursting = false;
  if (draining) clearInterval(draining);
  void agent.stop().then(() => {
    out("STOPPED");
    process.exit(0);
  });
});
out("READY");
if (options.burstAtStart) {
  bursting = true;
  burstTick();
}
