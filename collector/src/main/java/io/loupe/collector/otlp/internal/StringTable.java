package io.loupe.collector.otlp.internal;

import java.nio.charset.StandardCharsets;

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

  private String[] strings = new String[512];
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
    int h = 0;
    int high = 0;
    for (int i = off; i < off + len; i++) {
      byte b = buf[i];
      h = 31 * h + b;
      high |= b;
    }
    if (high < 0) { // a byte >= 0x80: not ASCII
      return decode(buf, off, len);
    }
    int mask = strings.length - 1;
    int slot = mix(h) & mask;
    while (true) {
      String s = strings[slot];
      if (s == null) {
        break;
      }
      if (hashes[slot] == h && sameAscii(s, buf, off, len)) {
        return s;
      }
      slot = (slot + 1) & mask;
    }
    String s = new String(buf, off, len, StandardCharsets.ISO_8859_1); // ASCII: Latin-1 is the fast, exact copy
    if (count < MAX_ENTRIES) {
      strings[slot] = s;
      hashes[slot] = h;
      if (++count * 2 > strings.length) {
        grow();
      }
    }
    return s;
  }

  private static boolean sameAscii(String s, byte[] buf, int off, int len) {
    if (s.length() != len) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      if (s.charAt(i) != buf[off + i]) {
        return false;
      }
    }
    return true;
  }

  private static int mix(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  private void grow() {
    String[] os = strings;
    int[] oh = hashes;
    strings = new String[os.length * 2];
    hashes = new int[os.length * 2];
    int mask = strings.length - 1;
    for (int i = 0; i < os.length; i++) {
      if (os[i] != null) {
        int slot = mix(oh[i]) & mask;
        while (strings[slot] != null) {
          slot = (slot + 1) & mask;
        }
        strings[slot] = os[i];
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
