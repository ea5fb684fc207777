import type { AnyPrivilegedAction } from "../action.js";

/** Every action the root helper will run; a request naming anything else is refused. */
export function privilegedActions(): ReadonlyMap<string, AnyPrivilegedAction> {
  const all: AnyPrivilegedAction[] = [];
  return new Map(all.map((a) => [a.name, a]));
}
