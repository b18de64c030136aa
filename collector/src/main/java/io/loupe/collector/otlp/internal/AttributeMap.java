package io.loupe.collector.otlp.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The attributes of a span, event, link or resource: an immutable, insertion-ordered map over one array of
 * alternating keys and values, with its hash code computed once.
 *
 * <p>Why not an unmodifiable {@code LinkedHashMap}: a span has a handful of attributes, and a linked map spends a
 * table and a 40-byte entry per attribute on them, about 5x the bytes of this array; and a resource's map is hashed
 * again for every span of the resource where the store keys resources by their attributes, which this map answers
 * from its cached hash after the first time.
 */
public final class AttributeMap extends AbstractMap<String, Object> implements io.loupe.model.FixedAttributes {
  private final Object[] kv; // key0, value0, key1, value1, ...; keys unique, values non-null
  private int hash; // 0: not computed yet (a computed 0 is recomputed, harmlessly)
  private Set<Map.Entry<String, Object>> entries;

  private AttributeMap(Object[] kv) {
    this.kv = kv;
  }

  @Override
  public int size() {
    return kv.length >> 1;
  }

  @Override
  public boolean isEmpty() {
    return kv.length == 0;
  }

  private int indexOf(Object key) {
    if (key == null) {
      return -1;
    }
    // Strings cache their hash: comparing it first makes a miss (the span-metrics lookups of peer.service, db.name
    // and friends mostly miss) one int comparison per attribute instead of an equals.
    int h = key.hashCode();
    for (int i = 0; i < kv.length; i += 2) {
      Object k = kv[i];
      if (k == key || (k.hashCode() == h && k.equals(key))) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public Object get(Object key) {
    int i = indexOf(key);
    return i < 0 ? null : kv[i + 1];
  }

  @Override
  public boolean containsKey(Object key) {
    return indexOf(key) >= 0;
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super Object> action) {
    for (int i = 0; i < kv.length; i += 2) {
      action.accept((String) kv[i], kv[i + 1]);
    }
  }

  @Override
  public Set<Map.Entry<String, Object>> entrySet() {
    Set<Map.Entry<String, Object>> e = entries;
    if (e == null) {
      e = new AbstractSet<>() {
        @Override
        public Iterator<Map.Entry<String, Object>> iterator() {
          return new Iterator<>() {
            int i;

            @Override
            public boolean hasNext() {
              return i < kv.length;
            }

            @Override
            public Map.Entry<String, Object> next() {
              if (i >= kv.length) {
                throw new NoSuchElementException();
              }
              Map.Entry<String, Object> en = Map.entry((String) kv[i], kv[i + 1]);
              i += 2;
              return en;
            }
          };
        }

        @Override
        public int size() {
          return kv.length >> 1;
        }
      };
      entries = e;
    }
    return e;
  }

  /** This map with its string keys and values replaced by the JVM's interned instances (for maps kept long). */
  AttributeMap interned() {
    Object[] out = kv.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] instanceof String str) {
        out[i] = str.intern();
      }
    }
    return new AttributeMap(out);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      for (int i = 0; i < kv.length; i += 2) {
        h += kv[i].hashCode() ^ kv[i + 1].hashCode(); // Map.hashCode's contract: the sum of the entries' hashes
      }
      hash = h;
    }
    return h;
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (o instanceof AttributeMap m && hashCode() != m.hashCode()) {
      return false;
    }
    return super.equals(o);
  }

  /**
   * Collects attributes in order; a repeated key keeps its first position and takes the last value, as {@code
   * LinkedHashMap.put} does. Reusable after {@link #build}.
   */
  public static final class Builder {
    // Past this many attributes, repeated keys are found through a hash index, so that a request with thousands of
    // attributes on one span costs no quadratic scan.
    private static final int LINEAR = 16;

    private Object[] kv = new Object[32];
    private int size; // pairs
    private HashMap<String, Integer> index; // key -> pair number, only past LINEAR

    public Builder put(String key, Object value) {
      int i = find(key);
      if (i >= 0) {
        kv[2 * i + 1] = value;
        return this;
      }
      if (2 * size == kv.length) {
        kv = Arrays.copyOf(kv, kv.length * 2);
      }
      kv[2 * size] = key;
      kv[2 * size + 1] = value;
      if (index != null) {
        index.put(key, size);
      }
      size++;
      if (size == LINEAR && index == null) {
        index = new HashMap<>();
        for (int j = 0; j < size; j++) {
          index.put((String) kv[2 * j], j);
        }
      }
      return this;
    }

    private int find(String key) {
      if (index != null) {
        Integer i = index.get(key);
        return i == null ? -1 : i;
      }
      for (int i = 0; i < size; i++) {
        Object k = kv[2 * i];
        if (k == key || k.equals(key)) {
          return i;
        }
      }
      return -1;
    }

    public int size() {
      return size;
    }

    /** Drops every reference the builder still holds; false if it grew large (then the caller drops it). */
    boolean clear() {
      Arrays.fill(kv, null);
      size = 0;
      index = null;
      return kv.length <= 256;
    }

    /** The map of what was put (the empty map when nothing was), and a reset builder. */
    public Map<String, Object> build() {
      if (size == 0) {
        return Map.of();
      }
      AttributeMap m = new AttributeMap(Arrays.copyOf(kv, 2 * size));
      size = 0; // the stale references are overwritten by the next span's, and dropped by clear() at the end

      index = null;
      return m;
    }
  }
}
