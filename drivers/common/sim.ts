/**
 * Fault injection shared by the simulated DL/T 645 and CJ/T 188 meters: what a reply looks like when the
 * meter corrupts it on the wire.
 */

/** `reply` as the simulated meter sends it under `fault`: CS flipped, line noise, or as it is. */
export function applyWireFault(fault: string, reply: Buffer): Buffer {
  if (fault === "bad-checksum") {
    const out = Buffer.from(reply);
    out[out.length - 2] = ((out[out.length - 2] as number) ^ 0x5a) & 0xff;
    return out;
  }
  if (fault === "garbage") {
    // Noise of the length of a reply, never containing a frame start.
    return Buffer.from(Array.from({ length: reply.length }, (_, i) => (i * 37 + 0x21) & 0x5f));
  }
  return reply;
}
