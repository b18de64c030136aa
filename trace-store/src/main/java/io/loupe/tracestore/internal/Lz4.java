package io.loupe.tracestore.internal;

import static java.util.Objects.requireNonNull;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A fast compressor of LZ4 blocks (the block format only: no frame, no checksum), for span-segment record bodies.
 * Written from the LZ4 block format description; its output is any LZ4 block decoder's input, Lucene's
 * {@code LZ4.decompress} included (what {@link SpanCodec} reads records with).
 *
 * <p>A block is a run of sequences. A sequence is a token byte (high 4 bits: literal length, low 4 bits: match
 * length - 4; 15 in either means more length bytes follow, each 255 but the last), the literals, a 2-byte
 * little-endian offset back to the match (1..65535) and the match length bytes. The last sequence holds only literals;
 * as the format asks, the last 5 bytes are always literals and no match starts in the last 12 bytes.
 *
 * <p>Why not Lucene's compressor: in a node profile ingesting spans it was ~10.5 % of CPU, half of it in its hash
 * table and half in one {@code Arrays.mismatch} call per match (record bodies are varints, dictionary references and
 * random 8-byte ids: many short matches, ~5,000 in a 74 KB body). Here: 4- and 8-byte reads through little-endian
 * {@link VarHandle}s, matches extended 8 bytes at a time, and half the probes. Every position goes into the hash
 * table, but only every other one is looked up: a match of 5 bytes or more always covers a looked-up position, and
 * extending matches backwards recovers its start; only some 4-byte matches are lost, which save one byte each. On the
 * pipeline bodies a version that looked up every position took 1.29x the CPU for 0.7 % fewer bytes. This one takes
 * 0.68-0.74x the thread CPU of Lucene's compressor for 1.001x its bytes (in-process A/B, Lz4FiguresMain), and
 * 0.47-0.54x once Lucene's is JIT-compiled for its index writer's uses too, as in a node.
 *
 * <p>Not thread-safe: one instance per encoder.
 */
public final class Lz4 {
  static final int MIN_MATCH = 4;
  static final int LAST_LITERALS = 5; // the last 5 bytes of a block are literals
  static final int MF_LIMIT = 12; // no match starts in the last 12 bytes
  /** Inputs longer than this are refused (records are at most 64 MiB): keeps {@link #maxCompressedLength} an int. */
  public static final int MAX_INPUT = 1 << 30;

  // 8,192 16-bit entries, 16 KiB: against 4,096 entries 0.9 % fewer bytes at the same CPU; 16,384 entries (32 KiB,
  // more than L1 beside the input) 0.7 % fewer still but 4 % more CPU. Smaller inputs use and clear a smaller part.
  private static final int MAX_HASH_LOG = 13;
  private static final int MIN_HASH_LOG = 8;
  private static final int SKIP_TRIGGER = 5; // after 2^5 fruitless rounds of 4 bytes, step 1 byte further each time

  private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  // Per hash of 4 bytes, the low 16 bits of the last position (from srcOff) they were seen at: an offset is at most
  // 65,535, so the candidate is the one position within reach with those bits. A stale or overwritten entry only
  // names some other position in reach, and every candidate's bytes are compared anyway. Cleared per call, so that a
  // block depends on its input alone (an encoder reused across records writes what a fresh one would).
  private final char[] table = new char[1 << MAX_HASH_LOG];

  /** The most bytes {@link #compress} writes for {@code srcLen} input bytes (incompressible input). */
  public static int maxCompressedLength(int srcLen) {
    if (srcLen < 0 || srcLen > MAX_INPUT) {
      throw new IllegalArgumentException("srcLen: " + srcLen + " (expected: 0.." + MAX_INPUT + ")");
    }
    return srcLen + srcLen / 255 + 16;
  }

  /**
   * Compresses {@code src[srcOff, srcOff + srcLen)} into one LZ4 block at {@code dst[dstOff]}.
   *
   * @param dst must have {@link #maxCompressedLength}{@code (srcLen)} bytes from {@code dstOff}; bytes of that range
   *     past the block may be overwritten (literals are copied 16 bytes at a time)
   * @return the length of the block
   */
  public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
    requireNonNull(src, "src");
    requireNonNull(dst, "dst");
    Objects.checkFromIndexSize(srcOff, srcLen, src.length);
    int bound = maxCompressedLength(srcLen);
    if (dstOff < 0 || dstOff > dst.length || dst.length - dstOff < bound) {
      throw new IllegalArgumentException("dst: " + dst.length + " bytes from " + dstOff + " (expected: at least "
          + bound + " bytes for " + srcLen + " input bytes)");
    }
    int dstLimit = dstOff + bound;
    int end = srcOff + srcLen;
    int anchor = srcOff;
    int d = dstOff;
    if (srcLen > MF_LIMIT) {
      int hashLog = Math.max(MIN_HASH_LOG, Math.min(MAX_HASH_LOG, 32 - Integer.numberOfLeadingZeros(srcLen)));
      int shift = 32 - hashLog;
      char[] t = table;
      Arrays.fill(t, 0, 1 << hashLog, (char) 0);
      int mfLimit = end - MF_LIMIT; // the last position a match may start at
      int matchLimit = end - LAST_LITERALS; // a match ends at or before this
      int p = srcOff;
      outer:
      while (true) {
        // find a 4-byte match at p or after it; positions are kept as r = p - srcOff
        int ref;
        int rounds = 0;
        while (true) {
          if (p <= mfLimit - 2) {
            // one 8-byte read: look up p, enter p + 1, look up p + 2, enter p + 3
            long v = (long) LONG.get(src, p);
            int r = p - srcOff;
            int s0 = (int) v;
            int h0 = hash(s0, shift);
            int dist = (r - t[h0]) & 0xFFFF;
            t[h0] = (char) r;
            t[hash((int) (v >>> 8), shift)] = (char) (r + 1);
            ref = p - dist;
            if (inReach(dist, r) && (int) INT.get(src, ref) == s0) {
              break;
            }
            int s2 = (int) (v >>> 16);
            int h2 = hash(s2, shift);
            dist = (r + 2 - t[h2]) & 0xFFFF;
            t[h2] = (char) (r + 2);
            t[hash((int) (v >>> 24), shift)] = (char) (r + 3);
            ref = p + 2 - dist;
            if (inReach(dist, r + 2) && (int) INT.get(src, ref) == s2) {
              p += 2;
              break;
            }
            p += 4 + (rounds++ >>> SKIP_TRIGGER);
            continue;
          }
          if (p > mfLimit) {
            break outer;
          }
          // the last position or two where a match may start
          int r = p - srcOff;
          int seq = (int) INT.get(src, p);
          int h = hash(seq, shift);
          int dist = (r - t[h]) & 0xFFFF;
          t[h] = (char) r;
          ref = p - dist;
          if (inReach(dist, r) && (int) INT.get(src, ref) == seq) {
            break;
          }
          p++;
        }
        int e = matchEnd(src, ref + MIN_MATCH, p + MIN_MATCH, matchLimit);
        // the match may have started before the position that found it
        while (p > anchor && ref > srcOff && src[p - 1] == src[ref - 1]) {
          p--;
          ref--;
        }
        d = sequence(src, anchor, p - anchor, p - ref, e - p, dst, d, dstLimit);
        // positions inside the match are not entered: entering the one 2 bytes before its end (as LZ4's reference
        // compressor does) took 5 % more CPU on the pipeline bodies for 0.1 % more bytes, not fewer
        p = e;
        anchor = e;
      }
    }
    return lastLiterals(src, anchor, end - anchor, dst, d) - dstOff;
  }

  private static int hash(int fourBytes, int shift) {
    return (fourBytes * -1640531535) >>> shift; // Knuth's multiplicative hash, top bits
  }

  /** Whether a candidate {@code dist} bytes back from position {@code r} is a match offset: 1..min(65535, r). */
  private static boolean inReach(int dist, int r) {
    return dist - 1 + Integer.MIN_VALUE < r + Integer.MIN_VALUE; // unsigned dist - 1 < r; dist 0 is no candidate
  }

  /** The position in the second run where it stops matching the first ({@code a < b}), at most {@code limit}. */
  private static int matchEnd(byte[] src, int a, int b, int limit) {
    while (b <= limit - 8) {
      long x = (long) LONG.get(src, a) ^ (long) LONG.get(src, b);
      if (x != 0) {
        return b + (Long.numberOfTrailingZeros(x) >>> 3); // little-endian: the lowest set bit is the first byte
      }
      a += 8;
      b += 8;
    }
    while (b < limit && src[a] == src[b]) {
      a++;
      b++;
    }
    return b;
  }

  /** Writes one sequence and returns the position after it. */
  private static int sequence(byte[] src, int lit, int litLen, int offset, int matchLen, byte[] dst, int d,
      int dstLimit) {
    int tokenAt = d++;
    int token;
    if (litLen >= 15) {
      token = 0xF0;
      d = length(dst, d, litLen - 15);
    } else {
      token = litLen << 4;
    }
    // literals between matches are mostly short (ids, varints; 5.6 bytes on average in the pipeline bodies): two
    // 8-byte copies instead of System.arraycopy for every run took 5-7 % less CPU in all
    if (litLen <= 16 && lit <= src.length - 16 && d <= dstLimit - 16) {
      LONG.set(dst, d, (long) LONG.get(src, lit));
      LONG.set(dst, d + 8, (long) LONG.get(src, lit + 8));
    } else {
      System.arraycopy(src, lit, dst, d, litLen);
    }
    d += litLen;
    SHORT.set(dst, d, (short) offset);
    d += 2;
    int m = matchLen - MIN_MATCH;
    if (m >= 15) {
      token |= 0x0F;
      d = length(dst, d, m - 15);
    } else {
      token |= m;
    }
    dst[tokenAt] = (byte) token;
    return d;
  }

  private static int lastLiterals(byte[] src, int lit, int litLen, byte[] dst, int d) {
    if (litLen >= 15) {
      dst[d++] = (byte) 0xF0;
      d = length(dst, d, litLen - 15);
    } else {
      dst[d++] = (byte) (litLen << 4);
    }
    System.arraycopy(src, lit, dst, d, litLen);
    return d + litLen;
  }

  /** The bytes of a length past the token's 15: 255 while more follows, then the rest. */
  private static int length(byte[] dst, int d, int n) {
    while (n >= 255) {
      dst[d++] = (byte) 0xFF;
      n -= 255;
    }
    dst[d++] = (byte) n;
    return d;
  }
}
