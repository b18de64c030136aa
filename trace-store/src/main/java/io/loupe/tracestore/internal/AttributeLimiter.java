package io.loupe.tracestore.internal;

import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts attribute values longer than the limit (strings in UTF-16 chars, never splitting a surrogate pair; byte arrays
 * in bytes), as the OpenTelemetry SDKs' attribute value length limit does, and rejects value types spans cannot carry.
 * Returns the same span object when nothing changed, so the common case allocates nothing.
 */
public final class AttributeLimiter {
  private final int max;
  private int truncated;

  public AttributeLimiter(int maxValueLength) {
    this.max = maxValueLength;
  }

  /** Values cut since the last call of this method. */
  public int takeTruncatedCount() {
    int n = truncated;
    truncated = 0;
    return n;
  }

  /**
   * @throws InvalidInputException if a value has an unsupported type
   */
  public SpanRecord apply(SpanRecord s) {
    Map<String, Object> res = resource(s.resourceAttributes());
    Map<String, Object> attrs = map(s.attributes(), 0);
    List<SpanRecord.Event> events = s.events();
    for (int i = 0; i < events.size(); i++) {
      SpanRecord.Event e = events.get(i);
      Map<String, Object> m = map(e.attributes(), 0);
      if (m != e.attributes()) {
        if (events == s.events()) {
          events = new ArrayList<>(events);
        }
        events.set(i, new SpanRecord.Event(e.epochNanos(), e.name(), m));
      }
    }
    List<SpanRecord.Link> links = s.links();
    for (int i = 0; i < links.size(); i++) {
      SpanRecord.Link l = links.get(i);
      Map<String, Object> m = map(l.attributes(), 0);
      if (m != l.attributes()) {
        if (links == s.links()) {
          links = new ArrayList<>(links);
        }
        links.set(i, new SpanRecord.Link(l.traceId(), l.spanId(), l.traceState(), m));
      }
    }
    if (res == s.resourceAttributes() && attrs == s.attributes() && events == s.events() && links == s.links()) {
      return s;
    }
    return new SpanRecord(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(), s.kind(),
        s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(), res, s.scopeName(),
        s.scopeVersion(), attrs, events, links, s.flags());
  }

  /** What limiting one resource map gave: the map to store (or the refusal) and the values it cut. */
  private record Limited(Map<String, Object> map, int truncated, RuntimeException refusal) {}

  // The spans of a resource share its map (one per ResourceSpans of a request): limited once per write, not per span.
  private final java.util.IdentityHashMap<Map<String, Object>, Limited> resources = new java.util.IdentityHashMap<>();

  private Map<String, Object> resource(Map<String, Object> m) {
    Limited l = resources.get(m);
    if (l == null) {
      int before = truncated;
      try {
        l = new Limited(map(m, 0), truncated - before, null);
      } catch (InvalidInputException | ClassCastException e) {
        l = new Limited(null, truncated - before, e);
      }
      resources.put(m, l);
      truncated = before;
    }
    truncated += l.truncated(); // counted per span, as the span's own values are
    if (l.refusal() != null) {
      throw l.refusal();
    }
    return l.map();
  }

  // Whether a map needs a changed copy: walked with forEach, which the OTLP receiver's maps run without an entry
  // object per attribute (entrySet iteration was ~15 % of the write path's samples in TraceEncodeBenchmark).
  private boolean changes;
  private int checkDepth;
  private final java.util.function.BiConsumer<String, Object> checker = (k, v) -> {
    if (k == null) {
      throw new InvalidInputException("attribute key: null (expected: a string)");
    }
    if (!changes && value(k, v, checkDepth) != v) {
      changes = true;
    }
  };

  @SuppressWarnings("unchecked")
  private Map<String, Object> map(Map<String, Object> m, int depth) {
    if (depth == 0) {
      int before = truncated;
      changes = false;
      checkDepth = depth;
      m.forEach(checker); // nested maps inside go through the entry loop below (depth > 0)
      if (!changes) {
        return m;
      }
      truncated = before; // counted again by the copying pass
    }
    Map<String, Object> out = null;
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (e.getKey() == null) {
        throw new InvalidInputException("attribute key: null (expected: a string)");
      }
      Object v = e.getValue();
      Object nv = value(e.getKey(), v, depth);
      if (nv != v && out == null) {
        out = new LinkedHashMap<>(m);
      }
      if (out != null) {
        out.put(e.getKey(), nv);
      }
    }
    return out == null ? m : out;
  }

  @SuppressWarnings("unchecked")
  private Object value(String key, Object v, int depth) {
    if (depth > 32) {
      throw new InvalidInputException("attribute '" + key + "': nested deeper than 32 levels (expected: at most 32)");
    }
    // Strings first: most values are, and each of the type tests below is a class check per value per span.
    if (v instanceof String s) {
      if (s.length() <= max) {
        return s;
      }
      truncated++;
      int end = max;
      if (Character.isHighSurrogate(s.charAt(end - 1))) {
        end--;
      }
      return s.substring(0, end);
    }
    if (v == null || v instanceof Long || v instanceof Boolean || v instanceof Double || v instanceof Integer
        || v instanceof Short || v instanceof Byte || v instanceof Float) {
      return v;
    }
    if (v instanceof byte[] b) {
      if (b.length <= max) {
        return b;
      }
      truncated++;
      return Arrays.copyOf(b, max);
    }
    if (v instanceof List<?> list) {
      List<Object> out = null;
      for (int i = 0; i < list.size(); i++) {
        Object o = list.get(i);
        Object n = value(key, o, depth + 1);
        if (n != o && out == null) {
          out = new ArrayList<>(list);
        }
        if (out != null) {
          out.set(i, n);
        }
      }
      return out == null ? list : out;
    }
    if (v instanceof Map<?, ?> m) {
      return map((Map<String, Object>) m, depth + 1);
    }
    throw new InvalidInputException("attribute '" + key + "': value of type " + v.getClass().getName()
        + " (expected: String, Boolean, Long, Double, byte[], List or Map)");
  }
}
