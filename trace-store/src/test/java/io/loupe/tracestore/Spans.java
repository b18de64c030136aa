package io.loupe.tracestore;

import io.loupe.model.SpanRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Test spans. */
public final class Spans {
  private Spans() {}

  public static String randomTraceId() {
    return hex(16);
  }

  public static String randomSpanId() {
    return hex(8);
  }

  private static String hex(int bytes) {
    StringBuilder sb = new StringBuilder();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = 0; i < bytes; i++) {
      sb.append(String.format("%02x", r.nextInt(256)));
    }
    if (sb.toString().chars().allMatch(c -> c == '0')) {
      sb.setCharAt(0, '1');
    }
    return sb.toString();
  }

  /** A simple span of {@code traceId} named {@code name}, of service {@code service}. */
  public static SpanRecord span(String traceId, String service, String name, long startNanos) {
    Map<String, Object> res = new LinkedHashMap<>();
    res.put(SpanRecord.SERVICE_NAME, service);
    res.put("host.name", "node-1");
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("http.method", "GET");
    attrs.put("http.status_code", 200L);
    return new SpanRecord(traceId, randomSpanId(), "", "", name, SpanRecord.Kind.SERVER, startNanos,
        startNanos + 1_500_000, SpanRecord.StatusCode.UNSET, "", res, "io.test", "1.0", attrs, List.of(), List.of(),
        1);
  }

  /** A span using every field and every attribute value type. */
  public static SpanRecord fullSpan(String traceId) {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("inner.string", "é€😀");
    nested.put("inner.list", List.of(1L, 2L, 3L));
    nested.put("inner.null", null);
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("s", "value");
    attrs.put("empty", "");
    attrs.put("t", true);
    attrs.put("f", false);
    attrs.put("l", -1234567890123L);
    attrs.put("d", 3.25);
    attrs.put("nan", Double.NaN);
    attrs.put("bytes", new byte[] {0, 1, -1, 127, -128});
    List<Object> list = new ArrayList<>();
    list.add("a");
    list.add(1L);
    list.add(2.5);
    list.add(null);
    list.add(new byte[] {9});
    list.add(List.of("x", List.of(false)));
    attrs.put("list", list);
    attrs.put("map", nested);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put(SpanRecord.SERVICE_NAME, "checkout");
    res.put("k8s.pod.uid", "abc");
    res.put("process.pid", 42L);
    long start = 1_700_000_000_123_456_789L;
    List<SpanRecord.Event> events = List.of(
        new SpanRecord.Event(start + 10, "exception", Map.of("exception.type", "java.io.IOException")),
        new SpanRecord.Event(start - 5, "before-start", Map.of()));
    List<SpanRecord.Link> links = List.of(
        new SpanRecord.Link(randomTraceId(), randomSpanId(), "k=v", Map.of("link.attr", 7L)),
        new SpanRecord.Link(randomTraceId(), randomSpanId(), "", Map.of()));
    return new SpanRecord(traceId, randomSpanId(), randomSpanId(), "vendor=x", "GET /api/orders",
        SpanRecord.Kind.CONSUMER, start, start + 987_654_321L, SpanRecord.StatusCode.ERROR, "boom", res,
        "io.opentelemetry.kafka", "2.1.0", attrs, events, links, 0x301);
  }

  /** A copy with every byte[] replaced by a list of its bytes, so that records compare by value. */
  public static SpanRecord comparable(SpanRecord s) {
    List<SpanRecord.Event> events = new ArrayList<>();
    for (SpanRecord.Event e : s.events()) {
      events.add(new SpanRecord.Event(e.epochNanos(), e.name(), map(e.attributes())));
    }
    List<SpanRecord.Link> links = new ArrayList<>();
    for (SpanRecord.Link l : s.links()) {
      links.add(new SpanRecord.Link(l.traceId(), l.spanId(), l.traceState(), map(l.attributes())));
    }
    return new SpanRecord(s.traceId(), s.spanId(), s.parentSpanId(), s.traceState(), s.name(), s.kind(),
        s.startEpochNanos(), s.endEpochNanos(), s.statusCode(), s.statusMessage(), map(s.resourceAttributes()),
        s.scopeName(), s.scopeVersion(), map(s.attributes()), events, links, s.flags());
  }

  /** Also checks the key order, which {@link Map#equals} ignores. */
  private static Map<String, Object> map(Map<String, Object> m) {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, value(v)));
    return new OrderedMap(out);
  }

  @SuppressWarnings("unchecked")
  private static Object value(Object v) {
    if (v instanceof byte[] b) {
      List<Byte> l = new ArrayList<>();
      for (byte x : b) {
        l.add(x);
      }
      return "bytes" + l;
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object o : list) {
        out.add(value(o));
      }
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      return map((Map<String, Object>) m);
    }
    return v;
  }

  /** A map whose equality includes the order of its keys. */
  private static final class OrderedMap extends HashMap<String, Object> {
    private static final long serialVersionUID = 1L;
    private final List<String> order;

    OrderedMap(LinkedHashMap<String, Object> m) {
      super(m);
      order = new ArrayList<>(m.keySet());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof OrderedMap om && om.order.equals(order) && super.equals(o);
    }

    @Override
    public int hashCode() {
      return super.hashCode();
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("{");
      for (String k : order) {
        sb.append(k).append('=').append(get(k)).append(", ");
      }
      return sb.append('}').toString();
    }
  }
}
