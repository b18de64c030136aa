package io.loupe.tracestore.internal;

import io.loupe.model.SpanRecord;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The spans one write puts into one shard, grouped by trace in the order the traces first appear, with each trace id
 * parsed once into its two halves. Not thread-safe.
 *
 * <p>Replaces a {@code LinkedHashMap<String, List<SpanRecord>>} keyed by the hex id: the shard and the encoder parsed
 * every id again (a byte[] each), and a trace's spans are spread over a request (one run per resource), so the
 * grouping needs a lookup per run of spans; here it is an open-addressing table over the id halves.
 */
public final class TraceBatch {
  private long[] his = new long[16];
  private long[] los = new long[16];
  private String[] hex = new String[16];
  private List<SpanRecord>[] spans = newLists(16);
  private int n;
  private int[] table = new int[32]; // trace index + 1, 0 = free
  private int spanCount;

  @SuppressWarnings("unchecked")
  private static List<SpanRecord>[] newLists(int n) {
    return new List[n];
  }

  /** A batch of {@code traces} (hex trace id → its spans, in map order). */
  public static TraceBatch of(Map<String, List<SpanRecord>> traces) {
    TraceBatch b = new TraceBatch();
    for (Map.Entry<String, List<SpanRecord>> e : traces.entrySet()) {
      String id = e.getKey();
      int t = b.trace(id, TraceIds.highOfHex(id, "traceId"), TraceIds.parseHex64(id, 16, "traceId"));
      for (SpanRecord s : e.getValue()) {
        b.add(t, s);
      }
    }
    return b;
  }

  /** The index of trace {@code (hi, lo)}, added (with {@code hexId} as its id) when new. */
  public int trace(String hexId, long hi, long lo) {
    int mask = table.length - 1;
    for (int i = slot(hi, lo, mask); ; i = (i + 1) & mask) {
      int t = table[i] - 1;
      if (t < 0) {
        if (n == his.length) {
          grow();
          return trace(hexId, hi, lo);
        }
        his[n] = hi;
        los[n] = lo;
        hex[n] = hexId;
        spans[n] = new ArrayList<>(8);
        table[i] = ++n;
        return n - 1;
      }
      if (his[t] == hi && los[t] == lo) {
        return t;
      }
    }
  }

  private static int slot(long hi, long lo, int mask) {
    long h = (hi ^ Long.rotateLeft(lo, 29)) * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 40) & mask;
  }

  private void grow() {
    int cap = his.length * 2;
    his = Arrays.copyOf(his, cap);
    los = Arrays.copyOf(los, cap);
    hex = Arrays.copyOf(hex, cap);
    spans = Arrays.copyOf(spans, cap);
    rehash(cap * 2);
  }

  private void rehash(int tableSize) {
    table = new int[tableSize];
    int mask = tableSize - 1;
    for (int t = 0; t < n; t++) {
      int i = slot(his[t], los[t], mask);
      while (table[i] != 0) {
        i = (i + 1) & mask;
      }
      table[i] = t + 1;
    }
  }

  /** Adds span {@code s} to trace {@code t}. */
  public void add(int t, SpanRecord s) {
    spans[t].add(s);
    spanCount++;
  }

  /** Number of traces. */
  public int size() {
    return n;
  }

  public boolean isEmpty() {
    return n == 0;
  }

  public int spanCount() {
    return spanCount;
  }

  public long hi(int t) {
    return his[t];
  }

  public long lo(int t) {
    return los[t];
  }

  public String hexId(int t) {
    return hex[t];
  }

  public List<SpanRecord> spans(int t) {
    return spans[t];
  }

  /** Keeps only the first {@code keep} spans of trace {@code t}; traces left empty are removed by {@link #compact}. */
  public void truncate(int t, int keep) {
    List<SpanRecord> l = spans[t];
    if (keep < l.size()) {
      spanCount -= l.size() - keep;
      spans[t] = new ArrayList<>(l.subList(0, keep));
    }
  }

  /** Removes the traces left without spans, keeping the order of the others. */
  public void compact() {
    int w = 0;
    for (int t = 0; t < n; t++) {
      if (!spans[t].isEmpty()) {
        his[w] = his[t];
        los[w] = los[t];
        hex[w] = hex[t];
        spans[w] = spans[t];
        w++;
      }
    }
    if (w != n) {
      Arrays.fill(spans, w, n, null);
      Arrays.fill(hex, w, n, null);
      n = w;
      rehash(table.length);
    }
  }

  /** Every span, trace after trace, without copying them into one list. */
  public List<SpanRecord> allSpans() {
    return new AbstractList<>() {
      private int trace;
      private int base; // index of the first span of `trace`

      @Override
      public SpanRecord get(int index) {
        if (index < 0 || index >= spanCount) {
          throw new IndexOutOfBoundsException("index: " + index + " (expected: 0 to " + (spanCount - 1) + ")");
        }
        if (index < base) {
          trace = 0;
          base = 0;
        }
        while (index >= base + spans[trace].size()) {
          base += spans[trace].size();
          trace++;
        }
        return spans[trace].get(index - base);
      }

      @Override
      public int size() {
        return spanCount;
      }
    };
  }

  /**
   * The batch cut in two (halves of its traces, or of the spans of its one trace) for a record over the size limit;
   * a list of this batch alone when it holds a single span.
   */
  public List<TraceBatch> split() {
    TraceBatch a = new TraceBatch();
    TraceBatch b = new TraceBatch();
    if (n > 1) {
      for (int t = 0; t < n; t++) {
        (t < n / 2 ? a : b).copyTrace(this, t, 0, spans[t].size());
      }
    } else {
      int size = spans[0].size();
      if (size < 2) {
        return List.of(this);
      }
      a.copyTrace(this, 0, 0, size / 2);
      b.copyTrace(this, 0, size / 2, size);
    }
    return List.of(a, b);
  }

  private void copyTrace(TraceBatch from, int t, int fromSpan, int toSpan) {
    int i = trace(from.hex[t], from.his[t], from.los[t]);
    for (SpanRecord s : from.spans[t].subList(fromSpan, toSpan)) {
      add(i, s);
    }
  }
}
