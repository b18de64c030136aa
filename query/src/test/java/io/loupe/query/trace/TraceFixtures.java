package io.loupe.query.trace;

import io.loupe.model.SpanRecord;
import io.loupe.model.SpanRecord.Kind;
import io.loupe.model.SpanRecord.StatusCode;
import io.loupe.model.Tenant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One small trace across two services, with every attribute type, an event and a link. */
final class TraceFixtures {
  static final String TRACE = "00000000000000000af7651916cd43dd";
  static final String OTHER_TENANTS_TRACE = "5b8efff798038103d269b633813fc60c";
  static final long T0 = 1_700_000_000_123_456_789L;

  private TraceFixtures() {}

  static InMemorySpanReader reader() {
    Map<String, Object> frontend = new LinkedHashMap<>();
    frontend.put("service.name", "frontend");
    frontend.put("host.name", "node-1");
    Map<String, Object> db = Map.of("service.name", "db");
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("http.method", "GET");
    attrs.put("http.status_code", 200L);
    attrs.put("ratio", 0.5);
    attrs.put("cached", true);
    attrs.put("raw", new byte[] {1, 2, 3});
    attrs.put("tags", List.of("a", 1L));
    attrs.put("nested", Map.of("k", "v"));
    SpanRecord root = new SpanRecord(TRACE, "b7ad6b7169203331", "", "vendor=x", "GET /", Kind.SERVER, T0,
        T0 + 5_000_000, StatusCode.ERROR, "boom", frontend, "io.opentelemetry.http", "1.0", attrs,
        List.of(new SpanRecord.Event(T0 + 1_000_000, "exception", Map.of("exception.type", "IOException"))),
        List.of(new SpanRecord.Link(OTHER_TENANTS_TRACE, "00f067aa0ba902b7", "", Map.of())), 1);
    SpanRecord child = new SpanRecord(TRACE, "00f067aa0ba902b7", "b7ad6b7169203331", "", "SELECT", Kind.CLIENT,
        T0 + 2_000_000, T0 + 3_000_000, StatusCode.UNSET, "", db, "", "", Map.of(), List.of(), List.of(), 0);
    SpanRecord secret = new SpanRecord(OTHER_TENANTS_TRACE, "00f067aa0ba902b7", "", "", "secret", Kind.INTERNAL,
        T0, T0 + 1, StatusCode.OK, "", Map.of("service.name", "b"), "", "", Map.of(), List.of(), List.of(), 0);
    return new InMemorySpanReader()
        .add(Tenant.ANONYMOUS, child)
        .add(Tenant.ANONYMOUS, root)
        .add(new Tenant("team-b"), secret);
  }
}
