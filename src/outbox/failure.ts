/**
 * What kind of storage failure an error is, read from its code (SQLite's extended result code or the
 * errno of a file call), following `cause` links: never from message text.
 */
export type StorageFailure = "full" | "corrupt" | "read_only" | "io";

const BY_CODE: ReadonlyArray<[RegExp, StorageFailure]> = [
  [/^SQLITE_FULL/, "full"],
  [/^ENOSPC$/, "full"],
  [/^EDQUOT$/, "full"],
  [/^SQLITE_NOTADB/, "corrupt"],
  [/^SQLITE_CORRUPT/, "corrupt"],
  [/^SQLITE_READONLY/, "read_only"],
  [/^SQLITE_CANTOPEN/, "read_only"],
  [/^SQLITE_PERM/, "read_only"],
  [/^SQLITE_AUTH/, "read_only"],
  [/^EROFS$/, "read_only"],
  [/^EACCES$/, "read_only"],
  [/^EPERM$/, "read_only"],
];

/** The codes on an error and its causes, outermost first. */
export function errorCodes(e: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 8 && cur !== null && typeof cur === "object"; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") out.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

/** The storage failure an error stands for; `io` when no code says more. */
export function classifyStorageError(e: unknown): StorageFailure {
  for (const code of errorCodes(e)) for (const [re, kind] of BY_CODE) if (re.test(code)) return kind;
  return "io";
}
