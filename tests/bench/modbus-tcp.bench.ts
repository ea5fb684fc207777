/**
 * Our Modbus TCP client (drivers/modbus/tcp-client.ts) reading 2 input registers from the simulated
 * SDM120 on a loopback TCP server, one request at a time as the driver sends them. The server answers
 * from a setTimeout(0), so the figure is mostly the event loop's timer and socket round trip.
 * Run: `npx vitest bench --run tests/bench/modbus-tcp.bench.ts`.
 */
import { afterAll, bench, describe } from "vitest";
import { SimulatedModbusMeter, startModbusTcpServer } from "../../drivers/modbus/sim/index.js";
import { TcpClient } from "../../drivers/modbus/tcp-client.js";
import { loadProfile } from "../helpers/profiles.js";

const meter = new SimulatedModbusMeter({
  profile: loadProfile("eastron-sdm120", "modbus"),
  unitId: 1,
  values: () => ({ voltage_v: 229.8 }),
});
const server = await startModbusTcpServer([meter]);
const client = new TcpClient(server.host, server.port);
const timing = { timeoutMs: 1000, gapMs: 0 };
afterAll(async () => {
  await client.close();
  await server.close();
});

describe("Modbus TCP", () => {
  bench("TcpClient: one read of 2 input registers (loopback, simulated SDM120)", async () => {
    await client.read(1, 4, 0, 2, timing);
  });
});
