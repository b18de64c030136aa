package io.loupe.collector.otlp.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings decoded from UTF-8 bytes, each distinct short ASCII string made once per table: a batch of spans repeats
 * the same attribute keys, span names and many values (methods, routes, systems) hundreds of times, and one shared
 * instance costs no allocation after the first and keeps its cached {@code hashCode} for the maps downstream.
 * Non-ASCII and long strings are decoded each time. Not thread-safe: one per decoded request.
 */
final class StringTable {
  static final int MAX_CACHED_BYTES = 64;
  // Bounded so that a request of unique values (ids, offsets) costs a fixed amount of memory; lookups go on when full.
  private static final int MAX_ENTRIES = 4096;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private String[] strings = new String[512];
  private byte[][] bytes = new byte[512][]; // the ASCII bytes of strings[i], compared with a vectorized equals
  private int[] hashes = new int[512];
  private int count;

  /**
   * The string of {@code len} bytes at {@code off}, which the caller has checked to be in bounds.
   *
   * @throws IllegalArgumentException if the bytes are not valid UTF-8
   */
  String get(byte[] buf, int off, int len) {
    if (len == 0) {
      return "";
    }
    if (len > MAX_CACHED_BYTES) {
      return decode(buf, off, len);
    }
    // The hash reads the first and last 8 bytes only (hashing and comparing byte by byte were over a third of the
    // decoder's profile); equal hashes are settled by comparing all bytes. Up to 16 bytes, the two words also cover
    // every byte for the ASCII check.
    long first;
    long last;
    if (len >= 8) {
      first = (long) LONGS.get(buf, off);
      last = (long) LONGS.get(buf, off + len - 8);
    } else {
      first = 0;
      for (int i = 0; i < len; i++) {
        first |= (buf[off + i] & 0xffL) << (8 * i);
      }
      last = 0;
    }
    int h = mix(first * 0x9E3779B97F4A7C15L + last * 31 + len);
    int mask = strings.length - 1;
    int slot = h & mask;
    while (true) {
      byte[] b = bytes[slot];
      if (b == null) {
        break;
      }
      if (hashes[slot] == h && b.length == len && Arrays.equals(b, 0, len, buf, off, off + len)) {
        return strings[slot];
      }
      slot = (slot + 1) & mask;
    }
    if (((first | last) & HIGH_BITS) != 0 || (len > 16 && !ascii(buf, off + 8, len - 16))) {
      return decode(buf, off, len);
    }
    String s = new String(buf, off, len, StandardCharsets.ISO_8859_1); // ASCII: Latin-1 is the fast, exact copy
    if (count < MAX_ENTRIES) {
      strings[slot] = s;
      bytes[slot] = Arrays.copyOfRange(buf, off, off + len);
      hashes[slot] = h;
      if (++count * 2 > strings.length) {
        grow();
      }
    }
    return s;
  }

  private static boolean ascii(byte[] buf, int off, int len) {
    for (int i = off; i < off + len; i++) {
      if (buf[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static int mix(long h) {
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  private void grow() {
    String[] os = strings;
    byte[][] ob = bytes;
    int[] oh = hashes;
    strings = new String[os.length * 2];
    bytes = new byte[os.length * 2][];
    hashes = new int[os.length * 2];
    int mask = strings.length - 1;
    for (int i = 0; i < os.length; i++) {
      if (os[i] != null) {
        int slot = oh[i] & mask;
        while (strings[slot] != null) {
          slot = (slot + 1) & mask;
        }
        strings[slot] = os[i];
        bytes[slot] = ob[i];
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
