/**
 * The patch of dbus-next's match-rule bookkeeping, on stand-in buses (no D-Bus needed): it is applied
 * to the known defect only, counts right once applied, and is what the installed dbus-next gets.
 * tests/drivers/ble/bluez-match-rules.test.ts shows the effect on a real dbus-daemon.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  fixMatchRules,
  type MessageCtor,
  matchRuleBehaviour,
  patchMatchRules,
} from "../../../drivers/ble/dbus-match-rules.js";
import { loadNodeBle } from "../../../drivers/ble/node-ble.js";

/** A message as the stand-in bus records it. */
class FakeMessage {
  readonly member: string;
  readonly body: unknown[];
  constructor(fields: { member: string; body: unknown[] }) {
    this.member = fields.member;
    this.body = fields.body;
  }
}
const Message = FakeMessage as unknown as MessageCtor;

/** dbus-next 0.10.2's two methods as shipped (lib/bus.js), arguments of hasOwnProperty swapped. */
class ShippedBus {
  _matchRules: Record<string, number> = {};
  _connection = { stream: { writable: true } };
  sent: string[] = [];
  /** Replies to the next calls: an error for each `true`. */
  failNext: boolean[] = [];

  call(msg: FakeMessage): Promise<unknown> {
    this.sent.push(`${msg.member} ${String(msg.body[0])}`);
    return this.failNext.shift() ? Promise.reject(new Error("LimitsExceeded")) : Promise.resolve();
  }

  _addMatch(match: string): Promise<unknown> {
    if (Object.hasOwn(match as unknown as object, this._matchRules as unknown as PropertyKey)) {
      this._matchRules[match] = (this._matchRules[match] ?? 0) + 1;
      return Promise.resolve();
    }
    this._matchRules[match] = 1;
    return this.call(new FakeMessage({ member: "AddMatch", body: [match] }));
  }

  _removeMatch(match: string): Promise<unknown> {
    if (!this._connection.stream.writable) return Promise.resolve();
    if (Object.hasOwn(match as unknown as object, this._matchRules as unknown as PropertyKey)) {
      this._matchRules[match] = (this._matchRules[match] ?? 0) - 1;
      if ((this._matchRules[match] ?? 0) > 0) return Promise.resolve();
    } else {
      return Promise.resolve();
    }
    delete this._matchRules[match];
    return this.call(new FakeMessage({ member: "RemoveMatch", body: [match] }));
  }
}

/** A fresh class with the shipped methods, so each test patches its own. */
function shippedClass(): typeof ShippedBus {
  return class extends ShippedBus {};
}

describe("dbus-next match-rule patch", () => {
  it("the shipped bookkeeping is seen to leak; after the patch it counts", () => {
    const Bus = shippedClass();
    expect(matchRuleBehaviour(Bus.prototype)).toBe("leaks");
    expect(fixMatchRules(Bus.prototype, Message)).toBe("patched");
    expect(matchRuleBehaviour(Bus.prototype)).toBe("counts");
    // Idempotent: a second load finds nothing to do.
    expect(fixMatchRules(Bus.prototype, Message)).toBe("not_needed");
  });

  it("patched: two subscribers of one rule cost one AddMatch, and the last one to leave sends RemoveMatch", async () => {
    const Bus = shippedClass();
    patchMatchRules(Bus.prototype, Message);
    const bus = new Bus();
    await bus._addMatch("r1");
    await bus._addMatch("r1");
    await bus._addMatch("r2");
    await bus._removeMatch("r1");
    expect(bus.sent).toEqual(["AddMatch r1", "AddMatch r2"]);
    await bus._removeMatch("r1");
    await bus._removeMatch("r2");
    await bus._removeMatch("r2"); // one too many: nothing to remove
    expect(bus.sent).toEqual(["AddMatch r1", "AddMatch r2", "RemoveMatch r1", "RemoveMatch r2"]);
    expect(bus._matchRules).toEqual({});
  });

  it("patched: a rule the bus refused is forgotten, so the next subscriber asks again and none removes it", async () => {
    const Bus = shippedClass();
    patchMatchRules(Bus.prototype, Message);
    const bus = new Bus();
    bus.failNext = [true];
    await expect(bus._addMatch("r")).rejects.toThrow("LimitsExceeded");
    expect(bus._matchRules).toEqual({});
    await bus._removeMatch("r");
    await bus._addMatch("r");
    expect(bus.sent).toEqual(["AddMatch r", "AddMatch r"]);
    expect(bus._matchRules).toEqual({ r: 1 });
  });

  it("patched: nothing is sent on a closed connection, and a rule named like an Object property is an ordinary rule", async () => {
    const Bus = shippedClass();
    patchMatchRules(Bus.prototype, Message);
    const bus = new Bus();
    await bus._addMatch("constructor");
    await bus._removeMatch("constructor");
    await bus._addMatch("x");
    bus._connection.stream.writable = false;
    await bus._removeMatch("x");
    expect(bus.sent).toEqual(["AddMatch constructor", "RemoveMatch constructor", "AddMatch x"]);
  });

  it("bookkeeping that behaves in neither known way is left alone and reported unknown", () => {
    class Odd {
      _addMatch(): Promise<unknown> {
        throw new Error("not this shape");
      }
      _removeMatch(): Promise<unknown> {
        return Promise.resolve();
      }
    }
    const before = Odd.prototype._addMatch;
    expect(matchRuleBehaviour(Odd.prototype)).toBe("unknown");
    expect(fixMatchRules(Odd.prototype, Message)).toBe("unknown");
    expect(Odd.prototype._addMatch).toBe(before);
    // One that sends nothing at all is not the known defect either.
    class Silent {
      _addMatch(): Promise<unknown> {
        return Promise.resolve();
      }
      _removeMatch(): Promise<unknown> {
        return Promise.resolve();
      }
    }
    expect(matchRuleBehaviour(Silent.prototype)).toBe("unknown");
  });

  it("the installed dbus-next still has the defect (remove the patch when this fails), and loading node-ble fixes it", () => {
    const require = createRequire(createRequire(import.meta.url).resolve("node-ble"));
    const source = readFileSync(require.resolve("dbus-next/lib/bus.js"), "utf8");
    expect(source).toContain("Object.prototype.hasOwnProperty.call(match, this._matchRules)");
    expect(["patched", "not_needed"]).toContain(loadNodeBle().matchRules);
    const MessageBus = require("dbus-next/lib/bus.js") as { prototype: object };
    expect(matchRuleBehaviour(MessageBus.prototype)).toBe("counts");
  });
});
