// Placeholders and the byte rewriting that swaps them: placeholder -> value in requests to a
// key's hosts, value -> placeholder in every response. Pure; no I/O.
import { randomBytes } from 'node:crypto';

/**
 * A fresh placeholder: 192 random bits, in letters, digits and '_' only, so that every client
 * accepts it where the key goes (a header, a URL, JSON, a form) and no encoding changes it.
 */
export function makePlaceholder(): string {
  return `kiph_${randomBytes(24).toString('hex')}`;
}

export interface Swap {
  from: Buffer;
  to: Buffer;
}

/** Every `from` replaced by its `to` in a whole string (no partial matches to carry). */
export function swapAll(text: string, swaps: readonly Swap[]): string {
  let out = text;
  for (const s of swaps) {
    const from = s.from.toString('utf8');
    if (out.includes(from)) out = out.split(from).join(s.to.toString('utf8'));
  }
  return out;
}

/**
 * Rewrites a byte stream chunk by chunk. A match split across chunks is found: the tail of a
 * chunk that could start a match is held back until the next one (only such a tail, so a stream
 * of events is not delayed when nothing pends).
 */
export class StreamRewriter {
  private carry: Buffer = Buffer.alloc(0);
  /** Whether any swap happened so far. */
  swapped = false;

  constructor(private readonly swaps: readonly Swap[]) {}

  push(chunk: Buffer): Buffer {
    return this.run(this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk, false);
  }

  end(): Buffer {
    return this.run(this.carry, true);
  }

  private run(buf: Buffer, final: boolean): Buffer {
    if (this.swaps.length === 0) return buf;
    const out: Buffer[] = [];
    let i = 0;
    for (;;) {
      let best = -1;
      let which: Swap | undefined;
      for (const s of this.swaps) {
        const p = buf.indexOf(s.from, i);
        if (p !== -1 && (best === -1 || p < best)) {
          best = p;
          which = s;
        }
      }
      if (which === undefined) break;
      out.push(buf.subarray(i, best), which.to);
      i = best + which.from.length;
      this.swapped = true;
    }
    const keep = final ? 0 : this.pendingTail(buf, i);
    out.push(buf.subarray(i, buf.length - keep));
    this.carry = keep > 0 ? Buffer.from(buf.subarray(buf.length - keep)) : Buffer.alloc(0);
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** The length of the longest tail of `buf` (after `from`) that is a proper prefix of a swap. */
  private pendingTail(buf: Buffer, from: number): number {
    let longest = 0;
    for (const s of this.swaps) {
      const max = Math.min(s.from.length - 1, buf.length - from);
      for (let k = max; k > longest; k--) {
        if (buf[buf.length - k] === s.from[0] && buf.compare(s.from, 0, k, buf.length - k) === 0) {
          longest = k;
          break;
        }
      }
    }
    return longest;
  }
}
