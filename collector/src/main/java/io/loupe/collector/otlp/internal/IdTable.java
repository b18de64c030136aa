package io.loupe.collector.otlp.internal;

/**
 * Lowercase hex of trace ids (16 bytes) and span ids (8 bytes), each distinct id converted once per table: in a
 * request a trace id repeats on every span of its trace and a span id comes back as its children's parent id. Not
 * thread-safe: one per decoded request.
 */
final class IdTable {
  // Bounded: past this many ids of a kind, new ones are converted without being remembered.
  private static final int MAX_ENTRIES = 8192;

  private long[] traceKeys; // hi, lo per slot
  private String[] traceHex;
  private int traces;
  private long[] spanKeys;
  private String[] spanHex;
  private int spans;

  /**
   * A table with room for about {@code expectedSpans} span ids and a quarter as many trace ids before it grows (a
   * request's tables grown from a fixed small size were ~4 % of a node's allocation).
   */
  IdTable(int expectedSpans) {
    int spanSlots = slots(expectedSpans);
    int traceSlots = slots(expectedSpans / 4);
    traceKeys = new long[2 * traceSlots];
    traceHex = new String[traceSlots];
    spanKeys = new long[spanSlots];
    spanHex = new String[spanSlots];
  }

  // a power of two at least twice n (the tables grow past half full), within 32 and 2 * MAX_ENTRIES
  private static int slots(int n) {
    int c = Math.max(16, Math.min(MAX_ENTRIES, n));
    return Integer.highestOneBit(c * 2 - 1) * 2;
  }

  /** The hex of the 16 bytes at {@code off}, which the caller has checked to be in bounds. */
  String traceId(byte[] buf, int off) {
    long hi = bigEndian(buf, off);
    long lo = bigEndian(buf, off + 8);
    int mask = traceHex.length - 1;
    int slot = mix(hi ^ Long.rotateLeft(lo, 29)) & mask;
    while (true) {
      String s = traceHex[slot];
      if (s == null) {
        break;
      }
      if (traceKeys[2 * slot] == hi && traceKeys[2 * slot + 1] == lo) {
        return s;
      }
      slot = (slot + 1) & mask;
    }
    String s = SpanDecoder.hex(buf, off, 16);
    if (traces < MAX_ENTRIES) {
      traceHex[slot] = s;
      traceKeys[2 * slot] = hi;
      traceKeys[2 * slot + 1] = lo;
      if (++traces * 2 > traceHex.length) {
        growTraces();
      }
    }
    return s;
  }

  /** The hex of the 8 bytes at {@code off}, which the caller has checked to be in bounds. */
  String spanId(byte[] buf, int off) {
    long k = bigEndian(buf, off);
    int mask = spanHex.length - 1;
    int slot = mix(k) & mask;
    while (true) {
      String s = spanHex[slot];
      if (s == null) {
        break;
      }
      if (spanKeys[slot] == k) {
        return s;
      }
      slot = (slot + 1) & mask;
    }
    String s = SpanDecoder.hex(buf, off, 8);
    if (spans < MAX_ENTRIES) {
      spanHex[slot] = s;
      spanKeys[slot] = k;
      if (++spans * 2 > spanHex.length) {
        growSpans();
      }
    }
    return s;
  }

  private static long bigEndian(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = v << 8 | (b[off + i] & 0xff);
    }
    return v;
  }

  private static int mix(long k) {
    k *= 0x9E3779B97F4A7C15L;
    return (int) (k ^ (k >>> 32));
  }

  private void growTraces() {
    long[] ok = traceKeys;
    String[] os = traceHex;
    traceHex = new String[os.length * 2];
    traceKeys = new long[ok.length * 2];
    int mask = traceHex.length - 1;
    for (int i = 0; i < os.length; i++) {
      if (os[i] != null) {
        long hi = ok[2 * i];
        long lo = ok[2 * i + 1];
        int slot = mix(hi ^ Long.rotateLeft(lo, 29)) & mask;
        while (traceHex[slot] != null) {
          slot = (slot + 1) & mask;
        }
        traceHex[slot] = os[i];
        traceKeys[2 * slot] = hi;
        traceKeys[2 * slot + 1] = lo;
      }
    }
  }

  private void growSpans() {
    long[] ok = spanKeys;
    String[] os = spanHex;
    spanHex = new String[os.length * 2];
    spanKeys = new long[ok.length * 2];
    int mask = spanHex.length - 1;
    for (int i = 0; i < os.length; i++) {
      if (os[i] != null) {
        int slot = mix(ok[i]) & mask;
        while (spanHex[slot] != null) {
          slot = (slot + 1) & mask;
        }
        spanHex[slot] = os[i];
        spanKeys[slot] = ok[i];
      }
    }
  }
}
