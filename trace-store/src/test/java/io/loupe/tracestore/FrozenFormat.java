package io.loupe.tracestore;

import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The fixed spans of the frozen format sample in src/test/resources/testdata/trace-store/v1, and the program that
 * wrote it: {@code main(targetDir)}. Run it only for a new format version, into a new directory; never rewrite v1.
 */
public final class FrozenFormat {
  static final Tenant TENANT = new Tenant("frozen");
  static final String SEALED_TRACE = "0af7651916cd43dd8448eb211c80319c";
  static final String CRASHED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  private FrozenFormat() {}

  static List<SpanRecord> spans(String traceId, int n) {
    List<SpanRecord> out = new ArrayList<>();
    long start = 1_764_000_000_000_000_000L;
    for (int i = 0; i < n; i++) {
      Map<String, Object> res = new LinkedHashMap<>();
      res.put(SpanRecord.SERVICE_NAME, i == 0 ? "gateway" : "worker");
      res.put("host.name", "node-" + i);
      Map<String, Object> nested = new LinkedHashMap<>();
      nested.put("k", "v");
      nested.put("n", List.of(1L, 2.5, true));
      Map<String, Object> attrs = new LinkedHashMap<>();
      attrs.put("s", "text-" + i);
      attrs.put("b", i % 2 == 0);
      attrs.put("l", (long) i * 1000);
      attrs.put("d", i / 4.0);
      attrs.put("bytes", new byte[] {(byte) i, 2, 3});
      attrs.put("list", List.of("a", "b"));
      attrs.put("map", nested);
      String spanId = String.format("%016x", 0x1000 + i);
      String parent = i == 0 ? "" : String.format("%016x", 0x1000);
      List<SpanRecord.Event> events = List.of(new SpanRecord.Event(start + i + 5, "ev", Map.of("x", 1L)));
      List<SpanRecord.Link> links =
          List.of(new SpanRecord.Link(CRASHED_TRACE, "00f067aa0ba902b7", "t=1", Map.of("y", "z")));
      out.add(new SpanRecord(traceId, spanId, parent, "st=" + i, "op-" + i,
          SpanRecord.Kind.values()[i % SpanRecord.Kind.values().length], start + i * 1_000_000L,
          start + i * 1_000_000L + 777_000L, SpanRecord.StatusCode.values()[i % 3], i % 3 == 2 ? "failed" : "", res,
          "scope", "1.2.3", attrs, events, links, i));
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
    TraceStore store = TraceStore.open(TraceStoreOptions.defaults(dir).withShards(1), new SimpleMeterRegistry(), clock);
    store.write(TENANT, spans(SEALED_TRACE, 5));
    store.roll();
    store.write(TENANT, spans(CRASHED_TRACE, 3));
    store.crashForTest(); // leaves the second segment unsealed, as a crash does
    try (Stream<Path> s = Files.walk(dir)) { // the Lucene indexes are derived data, rebuilt at open: not frozen
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (p.toString().contains(".lucene")) {
          Files.delete(p);
        }
      }
    }
  }
}
