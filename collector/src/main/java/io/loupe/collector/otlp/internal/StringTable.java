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
 * time. Not thread-safe: one decoding at a time, emptied between them.
 */
final class StringTable {
  static final int MAX_CACHED_BYTES = 64;
  // Bounded so that a request of unique values (ids, offsets) costs a fixed amount of memory; lookups go on when full.
  private static final int MAX_ENTRIES = 4096;
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  // Room for ~500 distinct strings before the table grows; one grown past 4x that is dropped after its request.
  private static final int SLOTS = 1024;

  private byte[] buf;
  private StringCache shared;
  // Open addressing; a slot holds the string and where its bytes are in buf (compared there: no copy of the bytes).
  private String[] strings;
  private int[] offsets;
  private int[] hashes;
  private long[] words; // the first and the last 8 bytes of strings[i] at 2i and 2i + 1
  private int count;

  StringTable() {
    strings = new String[SLOTS];
    offsets = new int[SLOTS];
    hashes = new int[SLOTS];
    words = new long[2 * SLOTS];
  }

  /** Starts the strings of the body {@code buf}, new ones from {@code shared}; the table must be empty. */
  void reset(byte[] buf, StringCache shared) {
    this.buf = buf;
    this.shared = shared;
  }

  /** Forgets the strings and the body; false if the table grew past 4x its first size (then the caller drops it). */
  boolean clear() {
    buf = null;
    shared = null;
    if (count > 0) {
      Arrays.fill(strings, null);
      count = 0;
    }
    return strings.length <= 4 * SLOTS;
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
    // The table's hash reads the first and last 8 bytes only (hashing and comparing byte by byte were over a third of
    // the decoder's profile, and hashing every word a fifth); equal hashes are settled by comparing all bytes. Up to
    // 16 bytes, the two words also cover every byte for the ASCII check.
    long first = first(buf, off, len);
    long last = last(buf, off, len);
    int h = mix(first * 0x9E3779B97F4A7C15L + last * 31 + len);
    int mask = strings.length - 1;
    int slot = h & mask;
    while (true) {
      String s = strings[slot];
      if (s == null) {
        break;
      }
      // The two words are every byte up to 16 (most values); longer strings compare the bytes between them.
      if (hashes[slot] == h && words[2 * slot] == first && words[2 * slot + 1] == last && s.length() == len
          && (len <= 16 || Arrays.equals(buf, offsets[slot] + 8, offsets[slot] + len - 8, buf, off + 8,
          off + len - 8))) {
        return s;
      }
      slot = (slot + 1) & mask;
    }
    if (((first | last) & HIGH_BITS) != 0 || (len > 16 && !ascii(buf, off + 8, len - 16))) {
      return decode(buf, off, len);
    }
    // the shared cache holds strings of every request: its hash covers every byte, so that values alike at both ends
    // (ids, addresses) spread over its sets
    String s = shared.get(buf, off, len, hash(buf, off, len));
    if (count < MAX_ENTRIES) {
      strings[slot] = s;
      offsets[slot] = off;
      hashes[slot] = h;
      words[2 * slot] = first;
      words[2 * slot + 1] = last;
      if (++count * 2 > strings.length) {
        grow();
      }
    }
    return s;
  }

  /** A hash of the {@code len} (1 to {@link #MAX_CACHED_BYTES}) bytes at {@code off}, every byte, 8 at a time. */
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

  /** The first 8 of the {@code len} bytes at {@code off}, little-endian; fewer, zero-padded, if {@code len < 8}. */
  static long first(byte[] buf, int off, int len) {
    if (len >= 8) {
      return (long) LONGS.get(buf, off);
    }
    long w = 0;
    for (int i = 0; i < len; i++) {
      w |= (buf[off + i] & 0xffL) << (8 * i);
    }
    return w;
  }

  /** The last 8 of the {@code len} bytes at {@code off}; 0 if {@code len < 8} ({@link #first} holds them all). */
  static long last(byte[] buf, int off, int len) {
    return len >= 8 ? (long) LONGS.get(buf, off + len - 8) : 0;
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
    int[] oo = offsets;
    int[] oh = hashes;
    long[] ow = words;
    strings = new String[os.length * 2];
    offsets = new int[os.length * 2];
    hashes = new int[os.length * 2];
    words = new long[ow.length * 2];
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
        words[2 * slot] = ow[2 * i];
        words[2 * slot + 1] = ow[2 * i + 1];
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
