/**
 * The agent in a child process, for the SIGKILL test: the real Agent with a simulated line and button,
 * against the broker given on the command line.
 *   burst: press the button and feed readings as fast as possible, printing every alert and event id
 *          after its put returned (committed) as "C <id>", and the telemetry count as "T <n>".
 *   idle:  just run (and deliver what the outbox holds) until SIGTERM.
 */
import { writeSync } from "node:fs";
import { Agent } from "../../src/agent/agent.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { createLogger } from "../../src/core/log.js";
import { simDevices, simHomeConfig } from "../helpers/sim-home.js";

const [brokerUrl, stateDir, mode] = process.argv.slice(2) as [string, string, "burst" | "idle"];
const { config, profiles } = simHomeConfig({ brokerUrl, stateDir });
const { devices, host } = simDevices(profiles);
const clock = new SystemClock();
const agent = new Agent({
  config,
  profiles,
  host: {
    clock,
    netClock: clock,
    ids: randomIds,
    log: createLogger({ level: "error" }),
    version: "test",
    powerSupplyDir: null,
    ...host,
  },
});
const out = (line: string) => writeSync(1, `${line}\n`);

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
  await new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()));
  await agent.stop();
  out("STOPPED");
}
