import type { FileStat, ServiceUser } from "./probes.js";

/** `rw-r-----` and `owner:group` (numeric where no name is known). */
export function describeStat(s: FileStat, names?: (id: number, kind: "user" | "group") => string): string {
  const bits = "rwxrwxrwx"
    .split("")
    .map((ch, i) => ((s.mode >> (8 - i)) & 1 ? ch : "-"))
    .join("");
  const n = names ?? ((id) => String(id));
  return `${bits} ${n(s.uid, "user")}:${n(s.gid, "group")} (0${(s.mode & 0o777).toString(8)})`;
}

/**
 * Whether `user` may open the file for `want` ("r" or "rw"), judged from owner, group and mode as the
 * kernel would (the owner's bits if it owns it, else the group's if in its group, else the others').
 * Root's override is ignored on purpose: the agent never runs as root, and doctor often does.
 */
export function allows(s: FileStat, user: ServiceUser, want: "r" | "rw"): boolean {
  const shift = s.uid === user.uid ? 6 : user.gids.includes(s.gid) ? 3 : 0;
  const bits = (s.mode >> shift) & 0o7;
  const need = want === "r" ? 0o4 : 0o6;
  return (bits & need) === need;
}
