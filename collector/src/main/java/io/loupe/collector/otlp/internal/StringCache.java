package io.loupe.collector.otlp.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A process-wide, bounded, thread-safe cache of short ASCII strings by their bytes, so that the keys, span names and
 * common values of every request decode to the same {@code String} instances, whose hash codes are computed once:
 * with a new instance per request, every map downstream (span codec dictionaries, the search index, span metrics)
 * hashed each string again ({@code StringLatin1.hashCode} was 10 % of a node's CPU samples).
 *
 * <p>Four-way set associative over a fixed number of immutable entries: a reader sees either an old entry or a new
 * one, fully built (final fields), so a race between threads at worst loses an entry, never yields a wrong string.
 * Memory is bounded by the entry count: each holds at most {@link StringTable#MAX_CACHED_BYTES} bytes twice (the key
 * and the string), under 220 bytes with its objects.
 *
 * <p>Admission: a string that misses is cached only if its hash was already seen in a previous miss (a doorkeeper of
 * hashes, each written to two slots so that two common strings rarely keep pushing each other out). A value that
 * occurs once (ids, offsets, device keys, client addresses) only overwrites two ints of the doorkeeper, so it neither
 * allocates an entry nor evicts the common strings; a string seen in two requests comes in on its second. Callers look
 * a string up once per request (the request's {@link StringTable} answers the repeats), so "seen twice" means "seen in
 * two requests".
 */
final class StringCache {
  private static final int WAYS = 4;

  /** The cache every decoder shares: 16,384 entries (at most ~3.4 MiB), a 32,768-int doorkeeper (128 KiB). */
  static final StringCache SHARED = new StringCache(1 << 14, 1 << 15);

  private final Entry[] entries;
  private final int[] hashes; // the hash of entries[i], read first so that a miss touches no entry (racy: a filter)
  private final int[] seen;
  private int clock; // picks the way to replace in a full set; racy, any value will do

  /** {@code slots} and {@code doorkeeper} are powers of two, {@code slots} at least 4 and {@code doorkeeper} 2. */
  StringCache(int slots, int doorkeeper) {
    if (slots < WAYS || Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException("slots: " + slots + " (expected: a power of two >= " + WAYS + ")");
    }
    if (doorkeeper < 2 || Integer.bitCount(doorkeeper) != 1) {
      throw new IllegalArgumentException("doorkeeper: " + doorkeeper + " (expected: a power of two >= 2)");
    }
    entries = new Entry[slots];
    hashes = new int[slots];
    seen = new int[doorkeeper];
  }

  /**
   * An immutable cached string: its {@link StringTable#hash}, its first and last 8 bytes (every byte up to 16: most
   * strings compare without a second object, and the entries were the slow part of a lookup), the bytes between
   * them when longer, and the string itself.
   */
  private static final class Entry {
    final int hash;
    final int length;
    final long first;
    final long last;
    final byte[] middle; // bytes 8 to length - 8, for strings longer than 16 bytes; else null
    final String string;

    Entry(int hash, int length, long first, long last, byte[] middle, String string) {
      this.hash = hash;
      this.length = length;
      this.first = first;
      this.last = last;
      this.middle = middle;
      this.string = string;
    }

    boolean matches(int h, byte[] buf, int off, int len, long f, long l) {
      return hash == h && length == len && first == f && last == l
          && (middle == null || Arrays.equals(middle, 0, middle.length, buf, off + 8, off + len - 8));
    }
  }

  /**
   * The cached string of the {@code len} ASCII bytes at {@code off} whose {@link StringTable#hash} is {@code hash};
   * else a new string, cached if the doorkeeper admits it.
   */
  String get(byte[] buf, int off, int len, int hash) {
    long first = StringTable.first(buf, off, len);
    long last = StringTable.last(buf, off, len);
    Entry[] es = entries;
    int[] hs = hashes;
    int set = hash & (es.length - WAYS);
    int free = -1;
    for (int i = set; i < set + WAYS; i++) {
      if (hs[i] == hash) {
        Entry e = es[i];
        if (e != null && e.matches(hash, buf, off, len, first, last)) {
          return e.string;
        }
      } else if (free < 0 && es[i] == null) {
        free = i;
      }
    }
    String s = new String(buf, off, len, StandardCharsets.ISO_8859_1); // ASCII: Latin-1 is the fast, exact copy
    int mask = seen.length - 1;
    int d1 = (hash ^ (hash >>> 16)) & mask;
    int d2 = (hash * 0x9E3779B9 >>> 7) & mask;
    if (seen[d1] != hash && seen[d2] != hash) {
      seen[d1] = hash; // a first sighting: the hash is remembered, nothing else
      seen[d2] = hash;
      return s;
    }
    // The JVM's own instance, so that a decoded key is the very literal the code downstream looks it up with
    // (SpanRecord.SERVICE_NAME, the span metrics' keys): AttributeMap.get then matches on identity. Only admitted
    // strings are interned, and an evicted one is collected as any other.
    s = s.intern();
    s.hashCode(); // computed before the string is shared, so no thread downstream computes it again
    int slot = free >= 0 ? free : set + (clock++ & (WAYS - 1));
    es[slot] = new Entry(hash, len, first, last, len > 16 ? Arrays.copyOfRange(buf, off + 8, off + len - 8) : null, s);
    hs[slot] = hash;
    return s;
  }

  /** Entries held now (for tests and the memory bound). */
  int size() {
    int n = 0;
    for (Entry e : entries) {
      n += e == null ? 0 : 1;
    }
    return n;
  }

  /** Bytes of string content held now. */
  long bytes() {
    long n = 0;
    for (Entry e : entries) {
      n += e == null ? 0 : e.length;
    }
    return n;
  }

  /** Whether the string of these bytes is cached (for tests). */
  boolean contains(String s) {
    for (Entry e : entries) {
      if (e != null && e.string.equals(s)) {
        return true;
      }
    }
    return false;
  }
}
