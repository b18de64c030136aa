package io.loupe.collector.otlp.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Lowercase hex of trace ids (16 bytes) and span ids (8 bytes), each distinct id converted once per table: in a
 * request a trace id repeats on every span of its trace and a span id comes back as its children's parent id. Not
 * thread-safe: one decoding at a time, emptied between them.
 */
final class IdTable {
  // Bounded: past this many ids of a kind, new ones are converted without being remembered.
  private static final int MAX_ENTRIES = 8192;
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private long[] traceKeys; // hi, lo per slot
  private String[] traceHex;
  private int traces;
  private long[] spanKeys;
  private String[] spanHex;
  private int spans;
  private final byte[] scratch = new byte[32];

  // Room for a request of ~1,000 spans (~250 traces) before the tables grow: a table is reused request after request
  // (SpanDecoder.Scratch), and one grown larger is dropped after its request.
  private static final int SPAN_SLOTS = 2048;
  private static final int TRACE_SLOTS = 512;

  IdTable() {
    traceKeys = new long[2 * TRACE_SLOTS];
    traceHex = new String[TRACE_SLOTS];
    spanKeys = new long[SPAN_SLOTS];
    spanHex = new String[SPAN_SLOTS];
  }

  /** Forgets every id; false if the table grew past its first size (then the caller drops it). */
  boolean clear() {
    if (traces > 0) {
      Arrays.fill(traceHex, null);
      traces = 0;
    }
    if (spans > 0) {
      Arrays.fill(spanHex, null);
      spans = 0;
    }
    return traceHex.length == TRACE_SLOTS && spanHex.length == SPAN_SLOTS;
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
    hex(buf, off, 16);
    String s = new String(scratch, 0, 32, StandardCharsets.ISO_8859_1);
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
    hex(buf, off, 8);
    String s = new String(scratch, 0, 16, StandardCharsets.ISO_8859_1);
    if (spans < MAX_ENTRIES) {
      spanHex[slot] = s;
      spanKeys[slot] = k;
      if (++spans * 2 > spanHex.length) {
        growSpans();
      }
    }
    return s;
  }

  // The hex digits of the len bytes at off into scratch: the string then copies them once (a byte[] per id, then the
  // string's own copy of it, were a fifth of the decoder's allocation).
  private void hex(byte[] buf, int off, int len) {
    byte[] out = scratch;
    for (int i = 0; i < len; i++) {
      int v = buf[off + i] & 0xff;
      out[2 * i] = HEX[v >>> 4];
      out[2 * i + 1] = HEX[v & 0xf];
    }
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
