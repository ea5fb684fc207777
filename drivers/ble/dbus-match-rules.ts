/**
 * dbus-next 0.10.2 (the D-Bus client under node-ble) keeps a reference count per match rule, but tests
 * membership with `hasOwnProperty.call(match, this._matchRules)`: the arguments swapped, so it asks
 * whether the rule *string* has a property named "[object Object]", which is always false. Every signal
 * subscription therefore sends another AddMatch, and no unsubscription ever sends RemoveMatch. The bus
 * keeps every rule until the connection closes; on a gateway whose connection lives for months, rules
 * pile up with each device that comes and goes and each adapter re-acquired, until the system bus's
 * limit (max_match_rules_per_connection) refuses AddMatch: node-ble's subscription fails, the scanner
 * reconnects and is deaf meanwhile. The upstream fix was never merged (docs/decisions/dbus-match-rules.md).
 *
 * Here the two methods are replaced on dbus-next's MessageBus class, at load, only when a probe shows
 * exactly that known defect; a dbus-next that counts right is left alone, and one that behaves in any
 * third way is left alone too and reported ("unknown"), since replacing code we do not know is worse.
 */

/** What was done to dbus-next's match-rule bookkeeping. */
export type MatchRuleFix = "patched" | "not_needed" | "unknown";

/** The slice of dbus-next's MessageBus the bookkeeping uses (its own fields, untyped JavaScript). */
interface MatchRuleBus {
  _matchRules: Record<string, number>;
  _connection: { stream: { writable: boolean } };
  call(message: unknown): Promise<unknown>;
  _addMatch(match: string): Promise<unknown>;
  _removeMatch(match: string): Promise<unknown>;
}

/** dbus-next's Message constructor, as far as a bus method call needs it. */
export type MessageCtor = new (fields: {
  path: string;
  destination: string;
  interface: string;
  member: string;
  signature: string;
  body: unknown[];
}) => unknown;

/**
 * How a MessageBus prototype counts rules: two subscriptions then two unsubscriptions of one rule
 * should reach the bus as one AddMatch and one RemoveMatch. Runs on a stand-in bus; nothing is sent.
 */
export function matchRuleBehaviour(proto: object): "counts" | "leaks" | "unknown" {
  const sent: unknown[] = [];
  const bus = Object.create(proto) as MatchRuleBus;
  bus._matchRules = {};
  bus._connection = { stream: { writable: true } };
  bus.call = (message: unknown) => {
    sent.push((message as { member?: unknown }).member);
    return Promise.resolve();
  };
  try {
    const rule = "type='signal',member='HearthProbe'";
    void bus._addMatch(rule);
    void bus._addMatch(rule);
    void bus._removeMatch(rule);
    void bus._removeMatch(rule);
  } catch {
    return "unknown";
  }
  const seen = sent.join(",");
  if (seen === "AddMatch,RemoveMatch") return "counts";
  if (seen === "AddMatch,AddMatch") return "leaks";
  return "unknown";
}

/** Replaces the two methods with ones that count right. `Message` is dbus-next's message class. */
export function patchMatchRules(proto: object, Message: MessageCtor): void {
  const busCall = (bus: MatchRuleBus, member: "AddMatch" | "RemoveMatch", match: string) =>
    bus.call(
      new Message({
        path: "/org/freedesktop/DBus",
        destination: "org.freedesktop.DBus",
        interface: "org.freedesktop.DBus",
        member,
        signature: "s",
        body: [match],
      }),
    );
  const target = proto as MatchRuleBus;
  target._addMatch = function (this: MatchRuleBus, match: string): Promise<unknown> {
    const rules = this._matchRules;
    const count = Object.hasOwn(rules, match) ? rules[match] : undefined;
    if (count !== undefined) {
      rules[match] = count + 1;
      return Promise.resolve();
    }
    rules[match] = 1;
    return busCall(this, "AddMatch", match).catch((e: unknown) => {
      // The bus holds no such rule: forget it, so the next subscription asks again and no RemoveMatch
      // is sent for a rule that is not there. The caller still gets the error (node-ble reports it).
      if (this._matchRules === rules) delete rules[match];
      throw e;
    });
  };
  target._removeMatch = function (this: MatchRuleBus, match: string): Promise<unknown> {
    // A closed connection has taken its rules with it.
    if (!this._connection.stream.writable) return Promise.resolve();
    const rules = this._matchRules;
    const count = Object.hasOwn(rules, match) ? rules[match] : undefined;
    if (count === undefined) return Promise.resolve();
    if (count > 1) {
      rules[match] = count - 1;
      return Promise.resolve();
    }
    delete rules[match];
    return busCall(this, "RemoveMatch", match);
  };
}

/**
 * Checks dbus-next's MessageBus and patches it when it has the known defect. Idempotent: a patched
 * class counts right, so a second call reports "not_needed".
 */
export function fixMatchRules(proto: object, Message: MessageCtor): MatchRuleFix {
  const behaviour = matchRuleBehaviour(proto);
  if (behaviour === "counts") return "not_needed";
  if (behaviour === "unknown") return "unknown";
  patchMatchRules(proto, Message);
  return matchRuleBehaviour(proto) === "counts" ? "patched" : "unknown";
}
