package io.loupe.query.trace;

import io.loupe.model.SpanRecord;
import io.loupe.model.SpanRecord.Kind;
import io.loupe.model.SpanRecord.StatusCode;
import io.loupe.model.Tenant;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Four traces for the search APIs, relative to a fixed clock {@link #NOW}:
 *
 * <ul>
 *   <li>{@link #A}, 10 min ago, 50 ms: frontend {@code GET /checkout} (server) → frontend {@code cart.call} (client)
 *       → cart {@code cart.get} (server, http.status_code 200) → cart {@code SELECT cart} (client, db.system
 *       postgresql) → db {@code SELECT} (server, on node-2).
 *   <li>{@link #B}, 20 min ago, 5 ms, an id with leading zeros: frontend {@code GET /} (server, error, http.method GET,
 *       http.status_code 500) → frontend {@code cart.call} (client) → cart {@code cart.get} (server).
 *   <li>{@link #C}, 3 h ago, 2 s: frontend {@code GET /old} (server, ok).
 *   <li>{@link #D}, tenant team-b, 5 min ago: secret-svc {@code secret-op}.
 * </ul>
 */
final class SearchFixtures {
  static final long NOW_MS = 1_700_000_000_000L;
  static final long NOW = NOW_MS * 1_000_000L;
  static final long MS = 1_000_000L;
  static final long MIN = 60_000 * MS;
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW_MS), ZoneOffset.UTC);
  static final Tenant TEAM_B = new Tenant("team-b");

  static final String A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  static final String B = "00000000000000000000000000000b0b";
  static final String C = "cccccccccccccccccccccccccccccccc";
  static final String D = "dddddddddddddddddddddddddddddddd";

  static final Map<String, Object> FRONTEND = Map.of("service.name", "frontend", "host.name", "node-1");
  static final Map<String, Object> CART = Map.of("service.name", "cart", "host.name", "node-1");
  static final Map<String, Object> DB = Map.of("service.name", "db", "host.name", "node-2");

  private SearchFixtures() {}

  static SpanRecord span(String trace, String id, String parent, String name, Kind kind, long start, long durMs,
      StatusCode status, Map<String, Object> resource, Map<String, Object> attrs) {
    return new SpanRecord(trace, id, parent, "", name, kind, start, start + durMs * MS, status, "", resource, "", "",
        attrs, List.of(), List.of(), 0);
  }

  static InMemorySpanReader reader() {
    InMemorySpanReader r = new InMemorySpanReader();
    long a = NOW - 10 * MIN;
    r.add(Tenant.ANONYMOUS, span(A, "a000000000000001", "", "GET /checkout", Kind.SERVER, a, 50, StatusCode.UNSET,
        FRONTEND, Map.of()));
    r.add(Tenant.ANONYMOUS, span(A, "a000000000000002", "a000000000000001", "cart.call", Kind.CLIENT, a + MS, 30,
        StatusCode.UNSET, FRONTEND, Map.of()));
    r.add(Tenant.ANONYMOUS, span(A, "a000000000000003", "a000000000000002", "cart.get", Kind.SERVER, a + 2 * MS, 25,
        StatusCode.UNSET, CART, Map.of("http.status_code", 200L)));
    r.add(Tenant.ANONYMOUS, span(A, "a000000000000004", "a000000000000003", "SELECT cart", Kind.CLIENT, a + 3 * MS,
        10, StatusCode.UNSET, CART, Map.of("db.system", "postgresql")));
    r.add(Tenant.ANONYMOUS, span(A, "a000000000000005", "a000000000000004", "SELECT", Kind.SERVER, a + 4 * MS, 8,
        StatusCode.UNSET, DB, Map.of()));
    long b = NOW - 20 * MIN;
    r.add(Tenant.ANONYMOUS, span(B, "b000000000000001", "", "GET /", Kind.SERVER, b, 5, StatusCode.ERROR, FRONTEND,
        Map.of("http.method", "GET", "http.status_code", 500L)));
    r.add(Tenant.ANONYMOUS, span(B, "b000000000000002", "b000000000000001", "cart.call", Kind.CLIENT, b + MS, 3,
        StatusCode.UNSET, FRONTEND, Map.of()));
    r.add(Tenant.ANONYMOUS, span(B, "b000000000000003", "b000000000000002", "cart.get", Kind.SERVER, b + 2 * MS, 1,
        StatusCode.UNSET, CART, Map.of()));
    r.add(Tenant.ANONYMOUS, span(C, "c000000000000001", "", "GET /old", Kind.SERVER, NOW - 180 * MIN, 2000,
        StatusCode.OK, FRONTEND, Map.of()));
    r.add(TEAM_B, span(D, "d000000000000001", "", "secret-op", Kind.SERVER, NOW - 5 * MIN, 1, StatusCode.UNSET,
        Map.of("service.name", "secret-svc", "team", "b"), Map.of()));
    return r;
  }
}
