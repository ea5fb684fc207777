import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { parseTcpPort } from "../../../drivers/modbus/client.js";
import { SimulatedModbusMeter, startModbusTcpServer } from "../../../drivers/modbus/sim/index.js";
import { TcpClient } from "../../../drivers/modbus/tcp-client.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { rejection } from "../../helpers/errors.js";
import { fastModbusProfile as fastProfile } from "../../helpers/meter-rig.js";

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("parseTcpPort", () => {
  it("reads host and port, defaults to 502, and leaves serial paths alone", () => {
    expect(parseTcpPort("tcp://10.0.0.7:1502")).toEqual({ host: "10.0.0.7", port: 1502 });
    expect(parseTcpPort("tcp://meter.local")).toEqual({ host: "meter.local", port: 502 });
    expect(parseTcpPort("tcp://[::1]:5020")).toEqual({ host: "::1", port: 5020 });
    expect(parseTcpPort("/dev/serial/by-id/usb-FTDI-if00")).toBeUndefined();
    expect(parseTcpPort("tcp://host:0")).toBeUndefined();
  });
});

describe("TcpClient errors are our codes, against our simulated TCP meter", () => {
  const timing = { timeoutMs: 300, gapMs: 0 };

  it("connection refused → PortClosed", async () => {
    const client = new TcpClient("127.0.0.1", await closedPort());
    const e = await rejection(client.read(1, 3, 0, 2, timing));
    expect(e.code).toBe(ErrorCode.PortClosed);
    await client.close();
  });

  it("exception reply → DeviceException with its name; silence → Timeout; then a good read on the same client", async () => {
    const meter = new SimulatedModbusMeter({
      profile: fastProfile("eastron-sdm120"),
      unitId: 1,
      values: () => ({ voltage_v: 230 }),
    });
    const server = await startModbusTcpServer([meter]);
    const client = new TcpClient(server.host, server.port);
    try {
      meter.fault = "exception";
      const ex = await rejection(client.read(1, 4, 0, 2, timing));
      expect(ex.code).toBe(ErrorCode.DeviceException);
      expect(ex.context.exceptionName).toBe("SERVER DEVICE FAILURE");
      meter.fault = "silence";
      expect((await rejection(client.read(1, 4, 0, 2, timing))).code).toBe(ErrorCode.Timeout);
      meter.fault = "none";
      expect(await client.read(1, 4, 0, 2, timing)).toEqual([0x4366, 0x0000]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
