package io.loupe.collector.otlp.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;

/**
 * A process-wide, bounded, thread-safe cache of decoded resources by the bytes of their OTLP {@code Resource} message,
 * so that equal resources are ONE immutable {@link AttributeMap} in every request: the trace store finds a resource by
 * the map's identity (span codec, search index, attribute limits, span metrics) and hashes its content only the first
 * time it meets an instance. Decoded per request, a node with ~250 resources made ~100 new maps per request of 500
 * spans, each hashed and compared attribute by attribute downstream.
 *
 * <p>Two-way set associative over a fixed number of immutable entries; a race at worst loses an entry. Only resources
 * of at most {@link #MAX_BYTES} bytes and {@link #MAX_ATTRIBUTES} attributes whose values are strings, booleans, longs
 * or doubles are cached (no arrays or byte arrays, which a consumer could change): an entry holds at most 1 KiB of key,
 * its map (64 pairs) and strings of at most 1 KiB of content, under 9 KiB with their objects, so the shared cache's
 * 2,048 entries stay under 18 MiB in the worst case (the pipeline workload's 150 resources of ~250 bytes hold ~150 KB).
 */
final class ResourceCache {
  static final int MAX_BYTES = 1024;
  static final int MAX_ATTRIBUTES = 64;
  /** The cache every decoder shares: 2,048 resources (~250 in the pipeline workload). */
  static final ResourceCache SHARED = new ResourceCache(2048);

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final Entry[] entries;

  /** {@code slots}: a power of two, at least 2. */
  ResourceCache(int slots) {
    if (slots < 2 || Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException("slots: " + slots + " (expected: a power of two >= 2)");
    }
    entries = new Entry[slots];
  }

  private static final class Entry {
    final byte[] bytes;
    final int hash;
    final AttributeMap map;

    Entry(byte[] bytes, int hash, AttributeMap map) {
      this.bytes = bytes;
      this.hash = hash;
      this.map = map;
    }
  }

  /** A hash of the {@code len} bytes at {@code off}, 8 at a time. */
  static int hash(byte[] buf, int off, int len) {
    long h = len;
    int i = off;
    int end = off + len;
    for (; i + 8 <= end; i += 8) {
      h = (h + (long) LONGS.get(buf, i)) * 0x9E3779B97F4A7C15L;
    }
    for (; i < end; i++) {
      h = (h + buf[i]) * 0x9E3779B97F4A7C15L;
    }
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  /** The map cached for the {@code len} bytes at {@code off} with {@link #hash} {@code hash}, or null. */
  AttributeMap get(byte[] buf, int off, int len, int hash) {
    Entry[] es = entries;
    int set = hash & (es.length - 2);
    for (int w = 0; w < 2; w++) {
      Entry e = es[set + w];
      if (e != null && e.hash == hash && e.bytes.length == len
          && Arrays.equals(e.bytes, 0, len, buf, off, off + len)) {
        return e.map;
      }
    }
    return null;
  }

  /**
   * Caches {@code map}, decoded from the {@code len} bytes at {@code off}, if it may be shared; returns the map to use:
   * the cached one, whose strings are the JVM's interned instances (a resource is decoded on its first sight, when its
   * strings are not yet shared ones, and the cached map lives long), or {@code map} itself.
   */
  Map<String, Object> put(byte[] buf, int off, int len, int hash, Map<String, Object> map) {
    if (len > MAX_BYTES || !(map instanceof AttributeMap a) || a.size() > MAX_ATTRIBUTES || !scalars(a)) {
      return map;
    }
    AttributeMap known = get(buf, off, len, hash); // another thread's, decoded at the same time
    if (known != null) {
      return known;
    }
    AttributeMap m = a.interned();
    m.hashCode(); // computed before the map is shared
    Entry e = new Entry(Arrays.copyOfRange(buf, off, off + len), hash, m);
    Entry[] es = entries;
    int set = hash & (es.length - 2);
    int way = es[set] == null ? 0 : es[set + 1] == null ? 1 : (hash >>> 31);
    es[set + way] = e;
    return m;
  }

  private static boolean scalars(AttributeMap m) {
    boolean ok = true;
    for (Object v : m.values()) {
      ok &= v instanceof String || v instanceof Long || v instanceof Boolean || v instanceof Double;
    }
    return ok;
  }

  /** Entries held now (for tests). */
  int size() {
    int n = 0;
    for (Entry e : entries) {
      n += e == null ? 0 : 1;
    }
    return n;
  }

  /** Whether {@code map} itself (by identity) is cached (for tests). */
  boolean holds(Map<String, Object> map) {
    for (Entry e : entries) {
      if (e != null && e.map == map) {
        return true;
      }
    }
    return false;
  }
}
