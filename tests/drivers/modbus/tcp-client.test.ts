import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { encodeTcp } from "../../../drivers/modbus/mbap.js";
import { TcpClient } from "../../../drivers/modbus/tcp-client.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { rejection } from "../../helpers/errors.js";
import { settleIo, waitFor } from "../../helpers/wait.js";

/*
 * Our Modbus TCP client (drivers/modbus/tcp-client.ts) against a raw loopback server that answers as
 * a test tells it. Timeouts run on a VirtualClock: they fire when the test advances it, never by
 * waiting. Frames: MBAP as in "MODBUS Messaging on TCP/IP Implementation Guide V1.0b" §3.1.3, the
 * PDU of "read input registers" (spec V1.1b3 §6.4).
 */

type Handler = (frame: Buffer, socket: Socket, connection: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

async function serve(
  handler: Handler,
): Promise<{ port: number; frames: Buffer[]; connections: () => number }> {
  const frames: Buffer[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    const n = ++connections;
    socket.on("error", () => undefined);
    socket.on("data", (b: Buffer) => {
      // Requests are small and written whole; one data event is one frame here.
      frames.push(b);
      handler(b, socket, n);
    });
  });
  server.unref();
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as { port: number }).port, frames, connections: () => connections };
}

/** The reply to a read of `regs`, echoing the request's transaction id and unit unless told otherwise. */
function reply(req: Buffer, regs: number[], o: { tid?: number; unit?: number } = {}): Buffer {
  const pdu = Buffer.alloc(2 + 2 * regs.length);
  pdu[0] = req[7] as number;
  pdu[1] = 2 * regs.length;
  for (const [i, r] of regs.entries()) pdu.writeUInt16BE(r, 2 + 2 * i);
  return encodeTcp(o.tid ?? req.readUInt16BE(0), o.unit ?? (req[6] as number), pdu);
}

const timing = { timeoutMs: 1000, gapMs: 0 };

describe("TcpClient (net.Socket + our codec)", () => {
  it("numbers requests with transaction ids and matches the replies", async () => {
    const srv = await serve((f, s) => s.write(reply(f, [f.readUInt16BE(0), 0x1234])));
    const client = new TcpClient("127.0.0.1", srv.port, { clock: new VirtualClock() });
    expect(await client.read(5, 4, 0, 2, timing)).toEqual([1, 0x1234]);
    expect(await client.read(5, 3, 10, 2, timing)).toEqual([2, 0x1234]);
    // 0001 0000 0006 05 04 0000 0002: MBAP then "read input registers 0, 2".
    expect(srv.frames[0]?.toString("hex")).toBe("000100000006050400000002");
    expect(srv.frames[1]?.toString("hex")).toBe("0002000000060503000a0002");
    expect(srv.connections()).toBe(1);
    await client.close();
  });

  it("drops a reply with another transaction id (a late one) and takes the right one", async () => {
    const srv = await serve((f, s) => {
      s.write(reply(f, [0xdead, 0xbeef], { tid: (f.readUInt16BE(0) + 100) & 0xffff }));
      s.write(reply(f, [1, 2]));
    });
    const client = new TcpClient("127.0.0.1", srv.port, { clock: new VirtualClock() });
    expect(await client.read(1, 4, 0, 2, timing)).toEqual([1, 2]);
    expect(client.staleReplies).toBe(1);
    await client.close();
  });

  it("times out on the injected clock, not before it moves, then reconnects for the next read", async () => {
    let silent = true;
    const srv = await serve((f, s) => {
      if (!silent) s.write(reply(f, [7, 8]));
    });
    const clock = new VirtualClock();
    const client = new TcpClient("127.0.0.1", srv.port, { clock });
    let settled = false;
    const p = client.read(1, 4, 0, 2, timing);
    p.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await waitFor("the request at the server", () => srv.frames.length === 1);
    await settleIo();
    clock.advanceBy(999);
    await settleIo();
    expect(settled).toBe(false);
    clock.advanceBy(1);
    const e = await rejection(p);
    expect(e.code).toBe(ErrorCode.Timeout);
    silent = false;
    expect(await client.read(1, 4, 0, 2, timing)).toEqual([7, 8]);
    // The socket of the timed-out request was dropped: a new connection.
    expect(srv.connections()).toBe(2);
    await client.close();
  });

  it("an exception reply keeps the connection; a reply from another unit does not", async () => {
    const srv = await serve((f, s, n) => {
      if (n === 1 && f.readUInt16BE(0) === 1)
        s.write(encodeTcp(1, f[6] as number, Buffer.from([0x84, 0x02])));
      else if (n === 1) s.write(reply(f, [1, 2], { unit: 9 }));
      else s.write(reply(f, [3, 4]));
    });
    const client = new TcpClient("127.0.0.1", srv.port, { clock: new VirtualClock() });
    const ex = await rejection(client.read(1, 4, 0, 2, timing));
    expect(ex.code).toBe(ErrorCode.DeviceException);
    expect(ex.context.exceptionName).toBe("ILLEGAL DATA ADDRESS");
    const wrong = await rejection(client.read(1, 4, 0, 2, timing));
    expect(wrong.code).toBe(ErrorCode.FrameUnexpected);
    expect(srv.connections()).toBe(1);
    expect(await client.read(1, 4, 0, 2, timing)).toEqual([3, 4]);
    expect(srv.connections()).toBe(2);
    await client.close();
  });

  it("a connection closed under a request is PortClosed; refused is PortClosed; the next read reconnects", async () => {
    const srv = await serve((f, s, n) => {
      if (n === 1) s.destroy();
      else s.write(reply(f, [5, 6]));
    });
    const client = new TcpClient("127.0.0.1", srv.port, { clock: new VirtualClock() });
    expect((await rejection(client.read(1, 4, 0, 2, timing))).code).toBe(ErrorCode.PortClosed);
    expect(await client.read(1, 4, 0, 2, timing)).toEqual([5, 6]);
    await client.close();
    const gone = srv.port;
    await new Promise<void>((r) => (servers.pop() as Server).close(() => r()));
    const refused = new TcpClient("127.0.0.1", gone, { clock: new VirtualClock() });
    // Other connections may still be open on the closed server; a new one is refused.
    const e = await rejection(refused.read(1, 4, 0, 2, timing));
    expect(e.code).toBe(ErrorCode.PortClosed);
    await refused.close();
  });

  it("bytes that are not MBAP fail the read as a bad frame", async () => {
    const srv = await serve((_f, s) => s.write(Buffer.from("0001000100060104", "hex")));
    const client = new TcpClient("127.0.0.1", srv.port, { clock: new VirtualClock() });
    expect((await rejection(client.read(1, 4, 0, 2, timing))).code).toBe(ErrorCode.FrameMalformed);
    await client.close();
  });
});
