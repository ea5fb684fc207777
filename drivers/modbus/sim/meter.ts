import type { Channel } from "../../../src/core/channels.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";
import type { SimReply, SimulatedDevice } from "../../serial/sim/line.js";
import { decodeTcp, encodeTcp } from "../mbap.js";
import { decodeRequestPdu, encodeResponsePdu, type ModbusResponse } from "../pdu.js";
import { decodeRtu, encodeRtu } from "../rtu.js";
import { encodeValue } from "../values.js";

/** How a simulated meter misbehaves, for fault-injection tests and the demo. */
export type ModbusFault = "none" | "bad_crc" | "silence" | "garbage" | "slow" | "exception";

export interface SimulatedModbusMeterOptions {
  profile: ModbusProfile;
  unitId: number;
  /** Current values by semantic channel, read at every request. */
  values: () => Partial<Record<Channel, number>>;
  /** Values of registers without a channel (or overriding one), by register name. */
  registers?: () => Record<string, number>;
  /** Reply delay under the `slow` fault. Default 2000 ms. */
  slowMs?: number;
  /** Exception code under the `exception` fault. Default 4 (SERVER DEVICE FAILURE). */
  exceptionCode?: number;
  /** Turnaround before every reply. Default 0. */
  turnaroundMs?: number;
}

/** Noise a broken transceiver puts on the bus: no unit address or function we would accept. */
const GARBAGE = Buffer.from("00ff55aa00ff13f0e1c3", "hex");

/**
 * A Modbus meter that speaks real bytes: it builds its register image from channel values through
 * the profile (the same type, order and scale the driver decodes), and answers RTU and TCP requests
 * for its unit id; other units' requests are ignored, as on a real bus.
 */
export class SimulatedModbusMeter implements SimulatedDevice {
  readonly profile: ModbusProfile;
  readonly unitId: number;
  fault: ModbusFault = "none";
  /** Requests addressed to this meter, answered or not. */
  requests = 0;
  readonly #opts: SimulatedModbusMeterOptions;

  constructor(options: SimulatedModbusMeterOptions) {
    this.#opts = options;
    this.profile = options.profile;
    this.unitId = options.unitId;
  }

  /** The register image of one table: address → word. */
  image(table: "holding" | "input"): Map<number, number> {
    const byChannel = this.#opts.values();
    const byName = this.#opts.registers?.() ?? {};
    const img = new Map<number, number>();
    for (const reg of this.profile.modbus.registers) {
      if (reg.table !== table) continue;
      const v = byName[reg.name] ?? (reg.channel ? byChannel[reg.channel] : undefined) ?? 0;
      const words = encodeValue(reg, v);
      for (const [i, w] of words.entries()) img.set(reg.address + i, w);
    }
    return img;
  }

  /** Answers one request PDU addressed to this meter (no fault applied). */
  answerPdu(pdu: Buffer): Buffer {
    let res: ModbusResponse;
    try {
      const req = decodeRequestPdu(pdu);
      if (req.fc === 3 || req.fc === 4) {
        const img = this.image(req.fc === 3 ? "holding" : "input");
        const registers: number[] = [];
        let known = false;
        for (let a = req.address; a < req.address + req.quantity; a++) {
          const w = img.get(a);
          if (w !== undefined) known = true;
          registers.push(w ?? 0);
        }
        res = known ? { fc: req.fc, registers } : { fc: req.fc, exception: 2, exceptionName: "" };
      } else {
        // A metering simulator: writes are refused like on a sealed meter.
        res = { fc: req.fc, exception: 1, exceptionName: "" };
      }
    } catch {
      res = { fc: pdu[0] ?? 0, exception: 1, exceptionName: "" };
    }
    return encodeResponsePdu(res);
  }

  #faulted(pdu: Buffer): { pdu: Buffer; delayMs: number } | undefined {
    const delay = this.#opts.turnaroundMs ?? 0;
    switch (this.fault) {
      case "silence":
        return undefined;
      case "exception":
        return {
          pdu: encodeResponsePdu({
            fc: pdu[0] ?? 0,
            exception: this.#opts.exceptionCode ?? 4,
            exceptionName: "",
          }),
          delayMs: delay,
        };
      case "slow":
        return { pdu: this.answerPdu(pdu), delayMs: this.#opts.slowMs ?? 2000 };
      case "none":
      case "bad_crc":
      case "garbage":
        return { pdu: this.answerPdu(pdu), delayMs: delay };
    }
  }

  /** RTU: a request frame from the bus → this meter's reply, or undefined (not addressed, silent, bad CRC). */
  respond(request: Buffer): SimReply | undefined {
    if (request.length < 4 || request[0] !== this.unitId) return undefined;
    let pdu: Buffer;
    try {
      pdu = decodeRtu(request).pdu;
    } catch {
      // A request with a bad CRC is ignored, as the spec requires of a server.
      return undefined;
    }
    this.requests++;
    if (this.fault === "garbage") return { data: GARBAGE, delayMs: this.#opts.turnaroundMs ?? 0 };
    const out = this.#faulted(pdu);
    if (!out) return undefined;
    const data = encodeRtu(this.unitId, out.pdu);
    if (this.fault === "bad_crc") data[data.length - 1] = ((data[data.length - 1] as number) ^ 0xff) & 0xff;
    return { data, delayMs: out.delayMs };
  }

  /** TCP: a whole MBAP frame → the reply frame, or undefined when silent or not for this unit. */
  respondTcp(frame: Buffer): SimReply | undefined {
    let adu: ReturnType<typeof decodeTcp>;
    try {
      adu = decodeTcp(frame);
    } catch {
      return undefined;
    }
    if (adu.unit !== this.unitId) return undefined;
    this.requests++;
    if (this.fault === "garbage") return { data: GARBAGE, delayMs: 0 };
    const out = this.#faulted(adu.pdu);
    if (!out) return undefined;
    return { data: encodeTcp(adu.transactionId, adu.unit, out.pdu), delayMs: out.delayMs };
  }
}
