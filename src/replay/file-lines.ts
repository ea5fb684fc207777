import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";

/** Text of UTF-8 bytes: Latin-1 decoding where every byte is ASCII (the same text, far cheaper). */
function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

/**
 * Lines of a file (or stdin for "-"), handed on a chunk (up to 1 MiB) at a time: one await per chunk
 * rather than per line, and each chunk decoded once, up to its last newline (a newline byte is never
 * part of a longer UTF-8 character, so no character is cut). A profile of a year's replay showed the
 * streaming UTF-8 decoder and the joining of chunks as a fifth of the time.
 */
export async function* fileLineBatches(path: string): AsyncGenerator<string[]> {
  const stream = path === "-" ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  /** Bytes after the last newline so far: the start of a line still coming. */
  let rest: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const nl = chunk.lastIndexOf(10);
    if (nl < 0) {
      rest.push(chunk);
      continue;
    }
    // The line begun in earlier chunks is joined alone: the rest of the chunk is decoded where it lies.
    const first = rest.length > 0 ? chunk.indexOf(10) : -1;
    const lines = decode(chunk.subarray(first + 1, nl)).split("\n");
    if (first >= 0) {
      const joined = decode(Buffer.concat([...rest, chunk.subarray(0, first)]));
      if (first === nl) lines[0] = joined;
      else lines.unshift(joined);
    }
    rest = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    yield lines;
  }
  if (rest.length > 0) yield [decode(Buffer.concat(rest))];
}
