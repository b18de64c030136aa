package io.loupe.collector.otlp.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings decoded from the UTF-8 bytes of one request body, each distinct short ASCII string made once per request: a
 * batch of spans repeats the same attribute keys, span names and many values hundreds of times. A string the request
 * has not had yet comes from the process-wide {@link StringCache}, so the common ones are the same instances in every
 * request and keep their cached {@code hashCode} for the maps downstream. Non-ASCII and long strings are decoded each
 * time. Not thread-safe: one per decoded request.
 */
final class StringTable {
  static final int MAX_CACHED_BYTES = 64;
  // Bounded so that a request of unique values (ids, offsets) costs a fixed amount of memory; lookups go on when full.
  private static final int MAX_ENTRIES = 4096;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final byte[] buf;
  private final StringCache shared;
  // Open addressing; a slot holds the string and where its bytes are in buf (compared there: no copy of the bytes).
  private String[] strings;
  private int[] offsets;
  private int[] hashes;
  private int count;

  /** A table over the body {@code buf}, with room for about {@code expected} strings before it grows. */
  StringTable(byte[] buf, StringCache shared, int expected) {
    this.buf = buf;
    this.shared = shared;
    int slots = Integer.highestOneBit(Math.max(32, Math.min(MAX_ENTRIES, expected)) * 2 - 1) * 2;
    strings = new String[slots];
    offsets = new int[slots];
    hashes = new int[slots];
  }

  /**
   * The string of the {@code len} bytes of the body at {@code off}, which the caller has checked to be in bounds.
   *
   * @throws IllegalArgumentException if the bytes are not valid UTF-8
   */
  String get(int off, int len) {
    if (len == 0) {
      return "";
    }
    if (len > MAX_CACHED_BYTES) {
      return decode(buf, off, len);
    }
    int h = hash(buf, off, len);
    int mask = strings.length - 1;
    int slot = h & mask;
    while (true) {
      String s = strings[slot];
      if (s == null) {
        break;
      }
      if (hashes[slot] == h && s.length() == len && Arrays.equals(buf, offsets[slot], offsets[slot] + len,
          buf, off, off + len)) {
        return s;
      }
      slot = (slot + 1) & mask;
    }
    if (!ascii(buf, off, len)) {
      return decode(buf, off, len);
    }
    String s = shared.get(buf, off, len, h);
    if (count < MAX_ENTRIES) {
      strings[slot] = s;
      offsets[slot] = off;
      hashes[slot] = h;
      if (++count * 2 > strings.length) {
        grow();
      }
    }
    return s;
  }

  /**
   * A hash of the {@code len} (1 to {@link #MAX_CACHED_BYTES}) bytes at {@code off}, read 8 at a time (hashing and
   * comparing byte by byte were over a third of the decoder's profile); every byte counts, so values that differ only
   * in the middle (ids, addresses) spread over the tables.
   */
  static int hash(byte[] buf, int off, int len) {
    long h = len;
    if (len < 8) {
      long w = 0;
      for (int i = 0; i < len; i++) {
        w |= (buf[off + i] & 0xffL) << (8 * i);
      }
      h = (h + w) * 0x9E3779B97F4A7C15L;
    } else {
      int end = off + len - 8;
      for (int i = off; i < end; i += 8) {
        h = (h + (long) LONGS.get(buf, i)) * 0x9E3779B97F4A7C15L;
      }
      h = (h + (long) LONGS.get(buf, end)) * 0x9E3779B97F4A7C15L; // the last 8, overlapping the word before
    }
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  private static boolean ascii(byte[] buf, int off, int len) {
    if (len < 8) {
      for (int i = off; i < off + len; i++) {
        if (buf[i] < 0) {
          return false;
        }
      }
      return true;
    }
    long or = 0;
    int end = off + len - 8;
    for (int i = off; i < end; i += 8) {
      or |= (long) LONGS.get(buf, i);
    }
    or |= (long) LONGS.get(buf, end);
    return (or & HIGH_BITS) == 0;
  }

  private void grow() {
    String[] os = strings;
    int[] oo = offsets;
    int[] oh = hashes;
    strings = new String[os.length * 2];
    offsets = new int[os.length * 2];
    hashes = new int[os.length * 2];
    int mask = strings.length - 1;
    for (int i = 0; i < os.length; i++) {
      if (os[i] != null) {
        int slot = oh[i] & mask;
        while (strings[slot] != null) {
          slot = (slot + 1) & mask;
        }
        strings[slot] = os[i];
        offsets[slot] = oo[i];
        hashes[slot] = oh[i];
      }
    }
  }

  /** Strict UTF-8 decoding, as protobuf's parser does for proto3 strings: malformed input is an error. */
  static String decode(byte[] buf, int off, int len) {
    boolean ascii = true;
    for (int i = off; i < off + len; i++) {
      if (buf[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(buf, off, len, StandardCharsets.ISO_8859_1);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(buf, off, len)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("invalid UTF-8", e);
    }
  }
}
