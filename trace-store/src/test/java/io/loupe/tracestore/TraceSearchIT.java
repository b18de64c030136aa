package io.loupe.tracestore;

import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSummary;
import io.loupe.model.SpanFilter;
import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.TagScope;
import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.SpanRecord;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceSearchIT {
  static final Tenant A = new Tenant("a");
  static final Tenant B = new Tenant("b");
  static final long T0 = 1_800_000_000_000_000_000L;
  static final long MS = 1_000_000L;

  @TempDir Path dir;
  MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
  TraceStore store;
  String checkout; // newest
  String slowPayment;
  String kafka; // oldest

  @BeforeEach
  void write() throws IOException {
    store = open();
    kafka = Spans.randomTraceId();
    SpanRecord produce = span(kafka, "", "producer", "orders publish", SpanRecord.Kind.PRODUCER, T0, 5 * MS,
        Map.of("messaging.system", "kafka", "messaging.destination.name", "orders"));
    SpanRecord consume = span(kafka, produce.spanId(), "stream-processor", "orders process",
        SpanRecord.Kind.CONSUMER, T0 + 10 * MS, 50 * MS, Map.of("messaging.system", "kafka", "retries", 2L));
    store.write(A, List.of(produce));
    store.roll(); // the consumer span arrives in a later segment
    store.write(A, List.of(consume));

    slowPayment = Spans.randomTraceId();
    SpanRecord pay = span(slowPayment, "", "payment", "POST /pay", SpanRecord.Kind.SERVER, T0 + 1000 * MS,
        900 * MS, Map.of("http.route", "/pay", "http.status_code", 500L));
    store.write(A, List.of(withError(pay)));

    checkout = Spans.randomTraceId();
    SpanRecord root = span(checkout, "", "frontend", "GET /checkout", SpanRecord.Kind.SERVER, T0 + 2000 * MS,
        120 * MS, Map.of("http.route", "/checkout", "http.status_code", 200L));
    SpanRecord db = span(checkout, root.spanId(), "orders-db", "SELECT orders", SpanRecord.Kind.CLIENT,
        T0 + 2010 * MS, 30 * MS, Map.of("db.system", "postgresql", "ratio", 0.5, "flags", List.of("x", "y")));
    store.write(A, List.of(db, root));

    // tenant b: same service names, must never show in a's results
    String other = Spans.randomTraceId();
    store.write(B, List.of(span(other, "", "frontend", "GET /secret", SpanRecord.Kind.SERVER, T0 + 3000 * MS, MS,
        Map.of("http.route", "/secret", "b.only", "yes"))));
  }

  @AfterEach
  void close() throws IOException {
    store.close();
  }

  TraceStore open() throws IOException {
    return TraceStore.open(TraceStoreOptions.defaults(dir).withShards(2), new SimpleMeterRegistry(), clock);
  }

  static SpanRecord span(String trace, String parent, String service, String name, SpanRecord.Kind kind,
      long start, long duration, Map<String, Object> attrs) {
    Map<String, Object> res = new LinkedHashMap<>();
    res.put(SpanRecord.SERVICE_NAME, service);
    res.put("deployment.environment", "prod");
    return new SpanRecord(trace, Spans.randomSpanId(), parent, "", name, kind, start, start + duration,
        SpanRecord.StatusCode.UNSET, "", res, "", "", attrs, List.of(), List.of(), 0);
  }

  static SpanRecord withError(SpanRecord s) {
    return new SpanRecord(s.traceId(), s.spanId(), s.parentSpanId(), "", s.name(), s.kind(), s.startEpochNanos(),
        s.endEpochNanos(), SpanRecord.StatusCode.ERROR, "card declined", s.resourceAttributes(), "", "",
        s.attributes(), List.of(), List.of(), 0);
  }

  TraceQuery all() {
    return TraceQuery.between(T0 - 1000 * MS, T0 + 10_000 * MS, 20);
  }

  @Test
  void findsTracesNewestFirstWithRootSummary() {
    List<TraceSummary> r = store.search(A, all());

    assertThat(r).extracting(TraceSummary::traceId).containsExactly(checkout, slowPayment, kafka);
    TraceSummary c = r.get(0);
    assertThat(c.rootServiceName()).isEqualTo("frontend");
    assertThat(c.rootSpanName()).isEqualTo("GET /checkout");
    assertThat(c.startEpochNanos()).isEqualTo(T0 + 2000 * MS);
    assertThat(c.durationNanos()).isEqualTo(120 * MS);
    assertThat(c.spanCount()).isEqualTo(2);
    TraceSummary k = r.get(2);
    assertThat(k.rootServiceName()).isEqualTo("producer");
    assertThat(k.durationNanos()).isEqualTo(60 * MS); // spans from two segments
    assertThat(k.spanCount()).isEqualTo(2);
  }

  @Test
  void filtersByServiceNameKindStatusDurationAttributesAndTime() {
    assertThat(ids(all().withService("orders-db"))).containsExactly(checkout);
    assertThat(ids(all().withSpanName("orders process"))).containsExactly(kafka);
    assertThat(ids(all().withKind(SpanRecord.Kind.CONSUMER))).containsExactly(kafka);
    assertThat(ids(all().withStatusCode(SpanRecord.StatusCode.ERROR))).containsExactly(slowPayment);
    assertThat(ids(all().withDuration(100 * MS, Long.MAX_VALUE))).containsExactly(checkout, slowPayment);
    assertThat(ids(all().withDuration(0, 10 * MS))).containsExactly(kafka);
    assertThat(ids(all().withAttributes(List.of(AttributeCondition.any("http.status_code", "500")))))
        .containsExactly(slowPayment);
    assertThat(ids(all().withAttributes(List.of(
        new AttributeCondition(TagScope.RESOURCE, "service.name", "stream-processor"),
        new AttributeCondition(TagScope.SPAN, "retries", "2"))))).containsExactly(kafka);
    assertThat(ids(all().withAttributes(List.of(new AttributeCondition(TagScope.SPAN, "service.name", "payment")))))
        .isEmpty();
    assertThat(ids(all().withAttributes(List.of(AttributeCondition.any("flags", "y"))))).containsExactly(checkout);
    assertThat(ids(all().withAttributes(List.of(AttributeCondition.any("ratio", "0.5"))))).containsExactly(checkout);
    // conditions hold on one span: the frontend span has no db.system
    assertThat(ids(all().withService("frontend")
        .withAttributes(List.of(AttributeCondition.any("db.system", "postgresql"))))).isEmpty();
    assertThat(ids(TraceQuery.between(T0 + 500 * MS, T0 + 1500 * MS, 20))).containsExactly(slowPayment);
    assertThat(ids(TraceQuery.between(T0, T0 + 10_000 * MS, 1))).containsExactly(checkout);
  }

  static SpanFilter attr(String key, CompareOp op, String value) {
    return new AttributeCondition(TagScope.SPAN, key, op, value);
  }

  static SpanFilter intrinsic(SpanFilter.IntrinsicField f, CompareOp op, String value) {
    return new SpanFilter.Intrinsic(f, op, value);
  }

  List<String> traceql(SpanFilter... spansets) {
    return ids(all().withSpanFilters(List.of(spansets)));
  }

  @Test
  void traceQlStyleFiltersCompareRegexAndCombineSpanSets() {
    assertThat(traceql(attr("http.status_code", CompareOp.GE, "400"))).containsExactly(slowPayment);
    assertThat(traceql(attr("http.status_code", CompareOp.LT, "400"))).containsExactly(checkout);
    assertThat(traceql(attr("ratio", CompareOp.GT, "0.25"))).containsExactly(checkout);
    assertThat(traceql(attr("ratio", CompareOp.GT, "0.5"))).isEmpty();
    assertThat(traceql(attr("http.route", CompareOp.NE, "/pay"))).containsExactly(checkout);
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.NAME, CompareOp.REGEX, ".*orders.*")))
        .containsExactly(checkout, kafka);
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.NAME, CompareOp.NOT_REGEX, "orders.*")))
        .containsExactly(checkout, slowPayment);
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.EQ, "error")))
        .containsExactly(slowPayment);
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.NE, "server")))
        .containsExactly(checkout, kafka);
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.DURATION, CompareOp.GT, String.valueOf(100 * MS))))
        .containsExactly(checkout, slowPayment);
    assertThat(traceql(new SpanFilter.Or(List.of(
        new AttributeCondition(TagScope.RESOURCE, "service.name", "payment"),
        intrinsic(SpanFilter.IntrinsicField.SERVICE, CompareOp.EQ, "producer"))))).containsExactly(slowPayment, kafka);
    assertThat(traceql(new SpanFilter.And(List.of(
        intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "client"),
        attr("db.system", CompareOp.REGEX, "post.*"))))).containsExactly(checkout);
    // { } && { }: two spans of one trace, even from two segments
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "producer"),
        intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "consumer"))).containsExactly(kafka);
    assertThat(traceql(AttributeCondition.any("service.name", "frontend"), attr("db.system", CompareOp.EQ,
        "postgresql"))).containsExactly(checkout);
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "producer"),
        intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.EQ, "error"))).isEmpty();
    // Jaeger-style conditions and span sets together
    assertThat(ids(all().withService("payment").withSpanFilters(
        List.of(intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "server"))))).containsExactly(slowPayment);
    assertThat(ids(all().withService("frontend").withSpanFilters(
        List.of(intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "producer"))))).isEmpty();
  }

  @Test
  void spanSetsMatchedInOtherRecordsOfTheSameSegmentAreFound() {
    // One trace, two writes (two records) into the same active segment: its producer's record alone misses the
    // second span set, so the search must read the trace whole.
    String split = Spans.randomTraceId();
    SpanRecord produce = span(split, "", "producer", "split publish", SpanRecord.Kind.PRODUCER, T0 + 500 * MS,
        MS, Map.of("messaging.system", "kafka"));
    store.write(A, List.of(produce));
    store.write(A, List.of(span(split, produce.spanId(), "stream-processor", "split process",
        SpanRecord.Kind.CONSUMER, T0 + 510 * MS, MS, Map.of("stage", "late"))));
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.NAME, CompareOp.EQ, "split publish"),
        attr("stage", CompareOp.EQ, "late"))).containsExactly(split);
    // and a trace whose one record misses it is left out without being read
    assertThat(traceql(intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, "server"),
        attr("stage", CompareOp.EQ, "late"))).isEmpty();
  }

  @Test
  void limitCountsExactMatchesOnlyNewestFirst() {
    // 30 newer traces whose one document holds both terms on different spans (a Lucene candidate that is no match),
    // then 5 older exact matches: a limit of 3 must still find the newest 3 exact ones.
    List<String> exact = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String t = Spans.randomTraceId();
      store.write(A, List.of(span(t, "", "api", "GET /x", SpanRecord.Kind.SERVER, T0 + (100 + i) * MS, MS,
          Map.of("region", "eu"))));
      exact.add(0, t);
    }
    for (int i = 0; i < 30; i++) {
      String t = Spans.randomTraceId();
      SpanRecord root = span(t, "", "api", "GET /x", SpanRecord.Kind.SERVER, T0 + (200 + i) * MS, MS,
          Map.of("region", "us"));
      SpanRecord child = span(t, root.spanId(), "worker", "work", SpanRecord.Kind.INTERNAL, T0 + (200 + i) * MS, MS,
          Map.of("region", "eu"));
      store.write(A, List.of(root, child));
    }
    TraceQuery q = TraceQuery.between(T0, T0 + 1000 * MS, 3).withService("api")
        .withAttributes(List.of(AttributeCondition.any("region", "eu")));
    assertThat(ids(q)).containsExactlyElementsOf(exact.subList(0, 3));
    // the time range applies to the matching span, not to the trace's other spans
    assertThat(ids(TraceQuery.between(T0 + 102 * MS, T0 + 103 * MS, 20).withService("api")))
        .containsExactlyElementsOf(exact.subList(1, 3));
  }

  @Test
  void walksBackInTimeWindowsAcrossHoursAndSegments() {
    long hour = 3_600_000 * MS;
    List<String> newestFirst = new ArrayList<>();
    for (int i = 0; i < 12; i++) { // one trace every 50 minutes, 10 hours back, in a few segments
      String t = Spans.randomTraceId();
      store.write(A, List.of(span(t, "", "batch", "nightly", SpanRecord.Kind.SERVER, T0 - (i + 1) * hour * 5 / 6, MS,
          Map.of("job", "etl"))));
      newestFirst.add(t);
      if (i % 4 == 3) {
        store.roll();
      }
    }
    TraceQuery q = TraceQuery.between(T0 - 11 * hour, T0, 5).withService("batch");
    assertThat(ids(q)).containsExactlyElementsOf(newestFirst.subList(0, 5));
    assertThat(ids(q.withLimit(100))).containsExactlyElementsOf(newestFirst);
    assertThat(ids(TraceQuery.between(T0 - 3 * hour, T0 - 2 * hour, 100).withService("batch")))
        .containsExactlyElementsOf(newestFirst.subList(2, 3));
  }

  @Test
  void badFiltersAreTheCallersFault() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> traceql(intrinsic(SpanFilter.IntrinsicField.NAME, CompareOp.REGEX, "(unclosed")))
        .isInstanceOf(io.loupe.model.InvalidInputException.class).hasMessageContaining("(unclosed");
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.GT, "error"))
        .isInstanceOf(io.loupe.model.InvalidInputException.class).hasMessage("status GT (expected: = or !=)");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> attr("x", CompareOp.GT, "abc"))
        .hasMessage("attribute 'x' GT 'abc' (expected: a number)");
  }

  @Test
  void listsServicesOperationsAndTagsPerTenant() {
    assertThat(store.services(A))
        .containsExactly("frontend", "orders-db", "payment", "producer", "stream-processor");
    assertThat(store.services(B)).containsExactly("frontend");
    assertThat(store.operations(A, "frontend")).containsExactly("GET /checkout");
    assertThat(store.operations(B, "frontend")).containsExactly("GET /secret");
    assertThat(store.tagNames(A, TagScope.RESOURCE)).containsExactly("deployment.environment", "service.name");
    assertThat(store.tagNames(A, TagScope.SPAN)).contains("http.route", "retries", "flags").doesNotContain("b.only");
    assertThat(store.tagValues(A, TagScope.ANY, "http.route", 100)).containsExactly("/checkout", "/pay");
    assertThat(store.tagValues(A, TagScope.SPAN, "http.status_code", 1)).containsExactly("200");
    assertThat(store.tagValues(B, TagScope.SPAN, "http.route", 100)).containsExactly("/secret");
  }

  /** Listings over a time range read the segments holding spans of it (and the active one), as Grafana's calls ask. */
  @Test
  void listingsWithATimeRangeLeaveOutSegmentsOutsideIt() {
    long from = T0 + 1000 * MS; // after the sealed segment's only span (the producer, T0 to T0 + 5 ms)
    long to = T0 + 4000 * MS;
    assertThat(store.services(A, from, to)).containsExactly("frontend", "orders-db", "payment", "stream-processor");
    assertThat(store.services(A, T0, T0 + MS)).contains("producer");
    assertThat(store.operations(A, "producer", from, to)).isEmpty();
    assertThat(store.operations(A, "producer", T0, to)).containsExactly("orders publish");
    assertThat(store.tagNames(A, TagScope.SPAN, from, to)).contains("messaging.system", "retries")
        .doesNotContain("messaging.destination.name");
    assertThat(store.tagNames(A, TagScope.SPAN, Long.MIN_VALUE, Long.MAX_VALUE))
        .contains("messaging.destination.name");
    assertThat(store.tagValues(A, TagScope.SPAN, "messaging.destination.name", 10, from, to)).isEmpty();
    assertThat(store.tagValues(A, TagScope.SPAN, "messaging.destination.name", 10, T0 - MS, T0))
        .containsExactly("orders");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.services(A, to, from))
        .isInstanceOf(io.loupe.model.InvalidInputException.class).hasMessageContaining("expected: start <= end");
  }

  @Test
  void tenantsNeverSeeEachOthersTraces() {
    assertThat(ids(all().withService("frontend"))).containsExactly(checkout);
    assertThat(store.search(B, all())).extracting(TraceSummary::rootSpanName).containsExactly("GET /secret");
    assertThat(store.search(new Tenant("c"), all())).isEmpty();
    assertThat(store.services(new Tenant("c"))).isEmpty();
  }

  @Test
  void searchIndexSurvivesReopenAndIsRebuiltWhenLost() throws IOException {
    store.close();
    store = open();
    assertThat(ids(all())).containsExactly(checkout, slowPayment, kafka);
    store.close();
    try (Stream<Path> s = Files.list(dir.resolve("shard-000"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".lucene")).toList()) {
        try (Stream<Path> w = Files.walk(p)) {
          for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(x);
          }
        }
      }
    }
    store = open();
    assertThat(ids(all())).containsExactly(checkout, slowPayment, kafka);
    assertThat(store.services(A)).hasSize(5);
  }

  @Test
  void crashLosesNoSearchability() throws IOException {
    store.crashForTest();
    store = open();
    assertThat(ids(all())).containsExactly(checkout, slowPayment, kafka);
  }

  List<String> ids(TraceQuery q) {
    List<String> out = new ArrayList<>();
    for (TraceSummary s : store.search(A, q)) {
      out.add(s.traceId());
    }
    return out;
  }
}
