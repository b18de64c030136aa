package io.loupe.tracestore.internal;

/**
 * The trace ids the {@code { a } && { b }} pre-filter collects (often 100,000+ per search), as a blocked Bloom filter:
 * it may say yes for an id never added (about 1 % at the budget), never no for one added. That is all a pre-filter
 * needs, since every trace it lets through is checked exactly. Each id sets 4 bits of one 64-byte block, so an add or
 * a test touches one cache line of a 256 KiB table, where a {@code HashSet<Key>} allocated a key and a node per id and
 * walked a table of megabytes: 149,000 ids from every segment were ~70 % of a search's CPU at 10 M spans (102 ms per
 * query), and an exact open-addressing set tried first still ~30 % (a cache miss per id in a 4 MiB table).
 *
 * <p>Not a {@code Set}: it cannot be iterated, and {@link #size} counts adds that set a new bit (about the distinct
 * ids). Not thread-safe.
 */
public final class TraceIdFilter {
  private static final int BLOCK_LONGS = 8; // 512 bits, one cache line
  private final long[] bits;
  private final int blockMask;
  private int size;

  /** A filter sized for about {@code expected} ids (10+ bits each). */
  public TraceIdFilter(int expected) {
    if (expected < 1) {
      throw new IllegalArgumentException("expected: " + expected + " (expected: > 0)");
    }
    int blocks = Integer.highestOneBit(Math.max(1, (int) Math.min(1 << 24, (expected * 10L + 511) / 512)) * 2 - 1);
    bits = new long[blocks * BLOCK_LONGS];
    blockMask = blocks - 1;
  }

  private static long mix(long hi, long lo) {
    long h = (hi ^ Long.rotateLeft(lo, 31)) * 0x9E3779B97F4A7C15L;
    h ^= h >>> 32;
    h *= 0xD6E8FEB86659FD93L;
    return h ^ (h >>> 29);
  }

  /** Adds the id; whether that set any bit (false: it was, or looked, present already). */
  public boolean add(long hi, long lo) {
    long h = mix(hi, lo);
    int base = ((int) h & blockMask) * BLOCK_LONGS;
    boolean changed = false;
    for (int k = 0; k < 4; k++) {
      int bit = (int) (h >>> (28 + 9 * k)) & 511; // 4 x 9 bits above the block index's (at most 24)
      int w = base + (bit >>> 6);
      long m = 1L << bit;
      if ((bits[w] & m) == 0) {
        bits[w] |= m;
        changed = true;
      }
    }
    if (changed) {
      size++;
    }
    return changed;
  }

  /** False when the id was never added; true when it was, and for about 1 % of the others. */
  public boolean mightContain(long hi, long lo) {
    long h = mix(hi, lo);
    int base = ((int) h & blockMask) * BLOCK_LONGS;
    for (int k = 0; k < 4; k++) {
      int bit = (int) (h >>> (28 + 9 * k)) & 511;
      if ((bits[base + (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** {@link #mightContain} of a 16-byte id. */
  public boolean mightContain(byte[] id) {
    return mightContain(TraceIds.high(id), TraceIds.low(id));
  }

  /**
   * Keeps only what {@code other} may hold too: for the ids of two span sets, a filter of (a superset of) the ids in
   * both. Both must have been created with the same {@code expected}.
   */
  public void retain(TraceIdFilter other) {
    if (other.bits.length != bits.length) {
      throw new IllegalArgumentException("filter of " + other.bits.length + " words (expected: " + bits.length + ")");
    }
    for (int i = 0; i < bits.length; i++) {
      bits[i] &= other.bits[i];
    }
    size = Math.min(size, other.size);
  }

  /** Adds that set a new bit: about the distinct ids added (a few percent fewer near the budget). */
  public int size() {
    return size;
  }
}
