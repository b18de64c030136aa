package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.BiConsumer;

/**
 * The identity of a series: a set of label pairs, sorted by name, names unique, no empty values. The metric name is the
 * {@code __name__} label.
 *
 * <p>A final class rather than a record over {@code List<Label>}: label sets are built and hashed once per ingested
 * point, and one flat {@code String[]} of alternating names and values halves the allocations of a list of records.
 */
public final class Labels implements Comparable<Labels>, Iterable<Label> {
  public static final String METRIC_NAME = "__name__";
  public static final Labels EMPTY = new Labels(new String[0]);

  private final String[] pairs; // name0, value0, name1, value1, ... sorted by name
  private int hash;

  private Labels(String[] pairs) {
    this.pairs = pairs;
  }

  /** Labels from alternating names and values, in any order; empty values are dropped. */
  public static Labels of(String... namesAndValues) {
    requireNonNull(namesAndValues, "namesAndValues");
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "namesAndValues: " + namesAndValues.length + " strings (expected: an even count)");
    }
    Builder b = builder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      b.set(namesAndValues[i], namesAndValues[i + 1]);
    }
    return b.build();
  }

  public static Labels fromMap(Map<String, String> map) {
    Builder b = builder();
    map.forEach(b::set);
    return b.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    for (int i = 0; i < pairs.length; i += 2) {
      b.set(pairs[i], pairs[i + 1]);
    }
    return b;
  }

  public int size() {
    return pairs.length / 2;
  }

  public boolean isEmpty() {
    return pairs.length == 0;
  }

  public String name(int i) {
    return pairs[2 * i];
  }

  public String value(int i) {
    return pairs[2 * i + 1];
  }

  /** The value of label {@code name}, or {@code ""} if absent (Prometheus semantics). */
  public String get(String name) {
    int lo = 0;
    int hi = size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = pairs[2 * mid].compareTo(name);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return pairs[2 * mid + 1];
      }
    }
    return "";
  }

  public boolean has(String name) {
    return !get(name).isEmpty();
  }

  public String metricName() {
    return get(METRIC_NAME);
  }

  public void forEach(BiConsumer<String, String> action) {
    for (int i = 0; i < pairs.length; i += 2) {
      action.accept(pairs[i], pairs[i + 1]);
    }
  }

  /** A copy without the labels named. */
  public Labels without(String... names) {
    Builder b = toBuilder();
    for (String n : names) {
      b.remove(n);
    }
    return b.build();
  }

  /** A copy keeping only the labels named. */
  public Labels keepOnly(java.util.Collection<String> names) {
    Builder b = new Builder();
    for (int i = 0; i < pairs.length; i += 2) {
      if (names.contains(pairs[i])) {
        b.set(pairs[i], pairs[i + 1]);
      }
    }
    return b.build();
  }

  public Map<String, String> toMap() {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    forEach(m::put);
    return m;
  }

  /**
   * A 64-bit hash stable across processes and releases (it routes series to shards and names them on disk): FNV-1a over
   * the UTF-8 bytes of names and values, with separators, finished by a murmur3 mix.
   *
   * <p>ASCII strings (the common case) are hashed char by char without encoding them to a new byte array: that
   * allocation was the largest cost of routing an ingested point.
   */
  public long stableHash() {
    long h = 0xcbf29ce484222325L;
    for (String s : pairs) {
      h = fnv(h, s);
      h ^= 0xff; // separator: a byte that never occurs in UTF-8
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  /** FNV-1a steps over the UTF-8 bytes of {@code s}; an ASCII char is its own UTF-8 byte. */
  private static long fnv(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
          h ^= (b & 0xff);
          h *= 0x100000001b3L;
        }
        return h;
      }
    }
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Total length of names and values in UTF-16 chars, for size limits. */
  public int charLength() {
    int n = 0;
    for (String s : pairs) {
      n += s.length();
    }
    return n;
  }

  @Override
  public Iterator<Label> iterator() {
    return new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < pairs.length;
      }

      @Override
      public Label next() {
        if (i >= pairs.length) {
          throw new NoSuchElementException();
        }
        Label l = new Label(pairs[i], pairs[i + 1]);
        i += 2;
        return l;
      }
    };
  }

  @Override
  public int compareTo(Labels o) {
    int n = Math.min(pairs.length, o.pairs.length);
    for (int i = 0; i < n; i++) {
      int c = pairs[i].compareTo(o.pairs[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(pairs.length, o.pairs.length);
  }

  @Override
  public boolean equals(Object o) {
    return o == this || (o instanceof Labels l && hashCode() == l.hashCode() && Arrays.equals(pairs, l.pairs));
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(pairs);
      hash = h == 0 ? 1 : h;
    }
    return hash;
  }

  /** Prometheus text form: {@code name{a="1", b="2"}}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    String name = metricName();
    sb.append(name).append('{');
    boolean first = true;
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i].equals(METRIC_NAME)) {
        continue;
      }
      if (!first) {
        sb.append(", ");
      }
      first = false;
      sb.append(pairs[i]).append("=\"");
      escape(pairs[i + 1], sb);
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  private static void escape(String v, StringBuilder sb) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
  }

  /**
   * Builds label sets; later {@link #set} calls for a name replace earlier ones, empty values remove the label.
   * Reusable after {@link #reset}. Parallel arrays with a linear scan and an insertion sort: series have tens of labels
   * at most, and this builder runs once per ingested series (a boxed sort and list lookups cost ~18% of remote-write
   * decoding).
   */
  public static final class Builder {
    private String[] names = new String[16];
    private String[] values = new String[16];
    private int size;

    private Builder() {}

    public Builder set(String name, String value) {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
      int i = indexOf(name);
      if (value.isEmpty()) {
        if (i >= 0) {
          size--;
          System.arraycopy(names, i + 1, names, i, size - i);
          System.arraycopy(values, i + 1, values, i, size - i);
          names[size] = null;
          values[size] = null;
        }
        return this;
      }
      if (i >= 0) {
        values[i] = value;
        return this;
      }
      if (size == names.length) {
        names = Arrays.copyOf(names, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      names[size] = name;
      values[size] = value;
      size++;
      return this;
    }

    public Builder remove(String name) {
      return set(name, "");
    }

    public String get(String name) {
      int i = indexOf(name);
      return i < 0 ? "" : values[i];
    }

    /** Forgets every label, keeping the arrays. */
    public Builder reset() {
      Arrays.fill(names, 0, size, null);
      Arrays.fill(values, 0, size, null);
      size = 0;
      return this;
    }

    private int indexOf(String name) {
      for (int i = 0; i < size; i++) {
        if (names[i].equals(name)) {
          return i;
        }
      }
      return -1;
    }

    public Labels build() {
      String[] pairs = new String[2 * size];
      for (int i = 0; i < size; i++) { // insertion sort by name, straight into the pairs array
        String n = names[i];
        int j = i - 1;
        while (j >= 0 && pairs[2 * j].compareTo(n) > 0) {
          pairs[2 * j + 2] = pairs[2 * j];
          pairs[2 * j + 3] = pairs[2 * j + 1];
          j--;
        }
        pairs[2 * j + 2] = n;
        pairs[2 * j + 3] = values[i];
      }
      return new Labels(pairs);
    }
  }
}
