package io.loupe.tracestore;

import io.loupe.model.TraceQuery;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loupe.model.AppendResult;
import io.loupe.model.InvalidInputException;
import io.loupe.model.RejectReason;
import io.loupe.model.SpanRecord;
import io.loupe.model.StorageUnavailableException;
import io.loupe.model.Tenant;
import io.loupe.model.TraceSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceStoreIT {
  static final Tenant A = new Tenant("tenant-a");
  static final Tenant B = new Tenant("tenant-b");

  @TempDir Path dir;
  SimpleMeterRegistry registry = new SimpleMeterRegistry();
  MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
  List<TraceStore> opened = new ArrayList<>();

  @AfterEach
  void closeAll() throws IOException {
    for (TraceStore s : opened) {
      s.close();
    }
  }

  TraceStore open(TraceStoreOptions o) throws IOException {
    registry = new SimpleMeterRegistry();
    TraceStore s = TraceStore.open(o, registry, clock);
    opened.add(s);
    return s;
  }

  TraceStoreOptions options() {
    return TraceStoreOptions.defaults(dir).withShards(2);
  }

  @Test
  void roundTripsEverySpanFieldThroughDiskAndReopen() throws IOException {
    TraceStore store = open(options());
    String t = Spans.randomTraceId();
    SpanRecord full = Spans.fullSpan(t);
    SpanRecord child = Spans.span(t, "db", "SELECT", full.startEpochNanos() + 1000);

    AppendResult r = store.write(A, List.of(full, child));

    assertThat(r.accepted()).isEqualTo(2);
    assertThat(r.rejectedCount()).isZero();
    assertThat(store.trace(A, t).stream().map(Spans::comparable))
        .containsExactly(Spans.comparable(full), Spans.comparable(child));
    store.close();

    TraceStore again = open(options());
    assertThat(again.trace(A, t).stream().map(Spans::comparable))
        .containsExactly(Spans.comparable(full), Spans.comparable(child));
    assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isZero();
  }

  @Test
  void returnsSpansOfOneTraceWrittenInSeparateCallsAndSegments() throws IOException {
    TraceStore store = open(options().withSegmentMaxBytes(4096));
    String t = Spans.randomTraceId();
    List<String> spanIds = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      // other traces in between push the active segment over its size so it rolls several times
      store.write(A, List.of(Spans.span(Spans.randomTraceId(), "noise", "n" + i, i)));
      SpanRecord s = Spans.span(t, "svc", "op" + i, 1_000_000L * i);
      spanIds.add(s.spanId());
      store.write(A, List.of(s));
      if (i == 30) {
        clock.advance(Duration.ofMinutes(3));
      }
    }
    assertThat(registry.get("loupe.tracestore.segments").gauge().value()).isGreaterThan(4);
    assertThat(store.trace(A, t)).extracting(SpanRecord::spanId).containsExactlyElementsOf(spanIds);
    store.close();

    assertThat(open(options()).trace(A, t)).extracting(SpanRecord::spanId).containsExactlyElementsOf(spanIds);
  }

  @Test
  void isolatesTenantsEvenForTheSameTraceId() throws IOException {
    TraceStore store = open(options());
    String t = Spans.randomTraceId();
    SpanRecord a = Spans.span(t, "a-svc", "a-op", 1);
    SpanRecord b = Spans.span(t, "b-svc", "b-op", 2);
    store.write(A, List.of(a));
    store.write(B, List.of(b));
    String onlyA = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(onlyA, "a-svc", "x", 3)));

    assertThat(store.trace(A, t)).extracting(SpanRecord::spanId).containsExactly(a.spanId());
    assertThat(store.trace(B, t)).extracting(SpanRecord::spanId).containsExactly(b.spanId());
    assertThat(store.trace(B, onlyA)).isEmpty();
    store.roll(); // and from sealed segments, through the index files
    assertThat(store.trace(A, t)).extracting(SpanRecord::spanId).containsExactly(a.spanId());
    assertThat(store.trace(B, onlyA)).isEmpty();
    assertThat(store.trace(new Tenant("tenant-c"), t)).isEmpty();
  }

  @Test
  void aRetriedWriteDoesNotDuplicateSpans() throws IOException {
    TraceStore store = open(options());
    String t = Spans.randomTraceId();
    SpanRecord s = Spans.span(t, "svc", "op", 1);
    SpanRecord sharedServerHalf = new SpanRecord(t, s.spanId(), "", "", "op", SpanRecord.Kind.CLIENT, 1, 2,
        SpanRecord.StatusCode.UNSET, "", Map.of(), "", "", Map.of(), List.of(), List.of(), 0);
    store.write(A, List.of(s, sharedServerHalf));
    store.roll();
    store.write(A, List.of(s));
    assertThat(store.trace(A, t)).extracting(SpanRecord::kind)
        .containsExactlyInAnyOrder(SpanRecord.Kind.SERVER, SpanRecord.Kind.CLIENT);
  }

  @Test
  void unknownTraceIsEmptyAndBadIdIsTheCallersFault() throws IOException {
    TraceStore store = open(options());
    assertThat(store.trace(A, Spans.randomTraceId())).isEmpty();
    assertThatThrownBy(() -> store.trace(A, "XYZ")).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("traceId");
  }

  @Test
  void recoversFromATornTailAtTheLastGoodRecord() throws IOException {
    TraceStore store = open(options().withShards(1));
    String t = Spans.randomTraceId();
    List<SpanRecord> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      SpanRecord s = Spans.span(t, "svc", "op" + i, i);
      written.add(s);
      store.write(A, List.of(s));
    }
    store.crashForTest();
    Path seg = onlyFile(".spans");
    long goodSize = Files.size(seg);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      // a record header announcing 500 bytes followed by only 7 of them: a write cut short by a crash
      ch.write(ByteBuffer.allocate(15).putInt(500).putInt(0x12345678).put(new byte[7]).flip());
    }

    TraceStore again = open(options().withShards(1));

    assertThat(again.trace(A, t)).extracting(SpanRecord::spanId)
        .containsExactlyElementsOf(written.stream().map(SpanRecord::spanId).toList());
    assertThat(Files.size(seg)).isEqualTo(goodSize);
    assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isEqualTo(1);
    // the store keeps working after recovery
    SpanRecord more = Spans.span(t, "svc", "after", 99);
    again.write(A, List.of(more));
    assertThat(again.trace(A, t)).hasSize(6);
  }

  @Test
  void recoveryStopsAtAChecksumMismatch() throws IOException {
    TraceStore store = open(options().withShards(1));
    String t = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(t, "svc", "first", 1)));
    store.crashForTest();
    Path seg = onlyFile(".spans");
    long firstEnd = Files.size(seg);
    try (TraceStore s2 = TraceStore.open(options().withShards(1), new SimpleMeterRegistry(), clock)) {
      s2.write(A, List.of(Spans.span(t, "svc", "second", 2)));
      s2.crashForTest();
    }
    Path second = Stream.of(listFiles(".spans")).filter(p -> !p.equals(seg)).findFirst().orElseThrow();
    // flip one byte inside the payload of the second segment's only record
    try (FileChannel ch = FileChannel.open(second, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long pos = ch.size() - 3;
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, pos);
      b.put(0, (byte) (b.get(0) ^ 0x40));
      ch.write(b.flip(), pos);
    }

    TraceStore again = open(options().withShards(1));

    assertThat(again.trace(A, t)).extracting(SpanRecord::name).containsExactly("first");
    assertThat(Files.size(seg)).isEqualTo(firstEnd);
    assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isEqualTo(1);
  }

  @Test
  void refusesAForeignFileNamingFileAndOffset() throws IOException {
    open(options().withShards(1)).close();
    opened.clear();
    Path shard = dir.resolve("shard-000");
    Path foreign = shard.resolve("00000000000000000099.spans");
    Files.write(foreign, "PK\3\4 this is a zip file, not a segment".getBytes());

    assertThatThrownBy(() -> TraceStore.open(options().withShards(1), new SimpleMeterRegistry(), clock))
        .isInstanceOf(CorruptFileException.class)
        .hasMessageContaining(foreign.toString())
        .hasMessageContaining("offset 0")
        .hasMessageContaining("magic");
  }

  @Test
  void rebuildsADamagedIndexFromItsSegment() throws IOException {
    TraceStore store = open(options().withShards(1));
    String t = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(t, "svc", "op", 1)));
    store.close();
    Path idx = onlyFile(".idx");
    byte[] b = Files.readAllBytes(idx);
    b[b.length - 1] ^= 1;
    Files.write(idx, b);

    assertThat(open(options().withShards(1)).trace(A, t)).hasSize(1);
    assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isEqualTo(1);
  }

  @Test
  void aLostOrStaleTraceIdMapIsRebuiltFromTheSegmentIndexes() throws IOException {
    TraceStore store = open(TraceStoreOptions.defaults(dir).withShards(2));
    List<String> ids = new ArrayList<>();
    for (int seg = 0; seg < 3; seg++) {
      for (int i = 0; i < 20; i++) {
        String id = Spans.randomTraceId();
        ids.add(id);
        store.write(A, List.of(Spans.span(id, "svc", "op", 1_000 + seg)));
      }
      store.write(A, List.of(Spans.span(ids.get(0), "svc", "again", 2_000 + seg))); // one trace in every segment
      store.roll();
    }
    store.close();
    // stale: the meta file of shard 0 goes (a power loss before it was written), map files of shard 1 go
    Files.delete(dir.resolve("shard-000").resolve("trace-ids.meta"));
    try (Stream<Path> s = Files.list(dir.resolve("shard-001"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".cmap")).toList()) {
        Files.delete(p);
      }
    }
    store = open(TraceStoreOptions.defaults(dir).withShards(2));
    for (String id : ids) {
      assertThat(store.trace(A, id)).isNotEmpty();
    }
    assertThat(store.trace(A, ids.get(0))).hasSize(4);
    store.crashForTest(); // and once more after a crash, with Chronicle's recovery
    store = open(TraceStoreOptions.defaults(dir).withShards(2));
    for (String id : ids) {
      assertThat(store.trace(A, id)).isNotEmpty();
    }
  }

  @Test
  void concurrentWritersLoseNothing() throws Exception {
    TraceStore store = open(options().withShards(2).withSegmentMaxBytes(64 << 10));
    int threads = 4;
    int batches = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Map<String, Set<String>>>> futures = new ArrayList<>();
    for (int w = 0; w < threads; w++) {
      futures.add(pool.submit(() -> {
        Map<String, Set<String>> mine = new java.util.HashMap<>();
        for (int i = 0; i < batches; i++) {
          List<SpanRecord> batch = new ArrayList<>();
          for (int k = 0; k < 5; k++) {
            String t = Spans.randomTraceId();
            for (int s = 0; s < 4; s++) {
              SpanRecord span = Spans.span(t, "svc", "op", s);
              batch.add(span);
              mine.computeIfAbsent(t, x -> new HashSet<>()).add(span.spanId());
            }
          }
          assertThat(store.write(A, batch).accepted()).isEqualTo(batch.size());
        }
        return mine;
      }));
    }
    Map<String, Set<String>> all = new java.util.HashMap<>();
    for (Future<Map<String, Set<String>>> f : futures) {
      all.putAll(f.get());
    }
    pool.shutdown();
    assertThat(all).hasSize(threads * batches * 5);
    for (Map.Entry<String, Set<String>> e : all.entrySet()) {
      assertThat(store.trace(A, e.getKey())).extracting(SpanRecord::spanId)
          .containsExactlyInAnyOrderElementsOf(e.getValue());
    }
    double writes = threads * batches;
    double fsyncs = registry.get("loupe.tracestore.fsync").timer().count();
    assertThat(registry.get("loupe.tracestore.spans.written").counter().count()).isEqualTo(writes * 20);
    System.out.printf("concurrent writers: %.0f write calls, %.0f fsyncs%n", writes, fsyncs);
  }

  @Test
  void readersNeverSeeATraceShrinkWhileSegmentsRoll() throws Exception {
    TraceStore store = open(options().withShards(1).withSegmentMaxBytes(2048));
    String t = Spans.randomTraceId();
    java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> problem = new java.util.concurrent.atomic.AtomicReference<>();
    Thread reader = new Thread(() -> {
      while (written.get() < 150 && problem.get() == null) {
        int before = written.get();
        int seen = store.trace(A, t).size();
        if (seen < before) {
          problem.set("saw " + seen + " spans after " + before + " were acknowledged");
        }
        store.search(A, TraceQuery.between(0, Long.MAX_VALUE, 5));
      }
    });
    reader.start();
    for (int i = 0; i < 150; i++) {
      store.write(A, List.of(Spans.span(t, "svc", "op" + i, i)));
      written.incrementAndGet();
    }
    reader.join(30_000);
    assertThat(problem.get()).isNull();
    assertThat(store.trace(A, t)).hasSize(150);
    assertThat(registry.get("loupe.tracestore.segments").gauge().value()).isGreaterThan(3);
  }

  @Test
  void anInterruptedWriterDoesNotBreakTheStore() throws Exception {
    TraceStore store = open(options().withShards(1));
    String t = Spans.randomTraceId();
    Thread w = new Thread(() -> {
      Thread.currentThread().interrupt(); // e.g. a cancelled request: FileChannel closes itself on interrupt
      try {
        store.write(A, List.of(Spans.span(t, "svc", "interrupted", 1)));
      } catch (StorageUnavailableException expected) {
        // the interrupted write may fail; the store must not
      }
    });
    w.start();
    w.join();
    store.write(A, List.of(Spans.span(t, "svc", "after", 2)));
    assertThat(store.trace(A, t)).extracting(SpanRecord::name).contains("after");
    store.close();
    assertThat(open(options().withShards(1)).trace(A, t)).extracting(SpanRecord::name).contains("after");
  }

  @Test
  void shardsRollApartSoThatTheyDoNotAllSealAtOnce() throws IOException {
    TraceStore store = open(options().withShards(2).withSegmentDuration(Duration.ofMinutes(10)));
    List<SpanRecord> batch = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // random trace ids: both shards get spans
      batch.add(Spans.span(Spans.randomTraceId(), "svc", "op", i));
    }
    store.write(A, batch);
    clock.advance(Duration.ofMinutes(6)); // past half the duration: shard 1 of 2 rolls its first segment, shard 0 not
    store.runMaintenance();
    store.awaitSeals();
    assertThat(indexes("shard-000")).isZero();
    assertThat(indexes("shard-001")).isEqualTo(1);

    store.write(A, batch);
    clock.advance(Duration.ofMinutes(5)); // shard 0's first segment is 11 minutes old, shard 1's second 5
    store.runMaintenance();
    store.awaitSeals();
    assertThat(indexes("shard-000")).isEqualTo(1);
    assertThat(indexes("shard-001")).isEqualTo(1);
    clock.advance(Duration.ofMinutes(5)); // later segments roll at the full duration, still 5 minutes apart
    store.runMaintenance();
    store.awaitSeals();
    assertThat(indexes("shard-000")).isEqualTo(1);
    assertThat(indexes("shard-001")).isEqualTo(2);
  }

  private long indexes(String shard) throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve(shard))) {
      return s.filter(p -> p.toString().endsWith(".idx")).count();
    }
  }

  @Test
  void retentionDropsOldSegmentsWithTheirIndex() throws IOException {
    TraceStore store = open(options().withShards(1).withRetention(Duration.ofHours(2)));
    String old = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(old, "svc", "old", 1)));
    store.roll();
    clock.advance(Duration.ofHours(1));
    String recent = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(recent, "svc", "recent", 2)));
    store.roll();
    assertThat(listFiles(".idx")).hasSize(2);

    clock.advance(Duration.ofMinutes(61)); // the first segment is now 2h01m old, the second 1h01m
    store.runMaintenance();

    assertThat(store.trace(A, old)).isEmpty();
    assertThat(store.trace(A, recent)).hasSize(1);
    assertThat(listFiles(".idx")).hasSize(1);
    assertThat(listFiles(".spans")).hasSize(2); // the recent sealed one and the empty active one
    assertThat(registry.get("loupe.tracestore.segments").gauge().value()).isEqualTo(2);
  }

  @Test
  void sizeRetentionDropsOldestSegmentsFirst() throws IOException {
    TraceStore store = open(options().withShards(1));
    List<String> traces = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String t = Spans.randomTraceId();
      traces.add(t);
      List<SpanRecord> batch = new ArrayList<>();
      for (int k = 0; k < 20; k++) {
        batch.add(Spans.span(t, "svc", "op-" + i + "-" + k, k));
      }
      store.write(A, batch);
      store.roll();
      clock.advance(Duration.ofMinutes(1));
    }
    store.close();
    long perSegment = totalBytes() / 6;
    long limit = perSegment * 7 / 2;
    store = open(options().withShards(1).withRetentionBytes(limit));
    store.runMaintenance();

    assertThat(store.trace(A, traces.get(0))).isEmpty();
    assertThat(store.trace(A, traces.get(5))).hasSize(20);
    assertThat(totalBytes()).isLessThanOrEqualTo(limit);
  }

  /** Writes noise until the active segment of a one-shard store rolls (the segment count grows by one). */
  private void writeUntilRoll(TraceStore store, String service) {
    double before = registry.get("loupe.tracestore.segments").gauge().value();
    for (int i = 0; registry.get("loupe.tracestore.segments").gauge().value() == before; i++) {
      assertThat(i).as("writes before the segment rolled").isLessThan(1000);
      store.write(A, List.of(Spans.span(Spans.randomTraceId(), service, "noise-" + i, i)));
    }
  }

  @Test
  void aSegmentBeingSealedIsReadLikeTheActiveOne() throws Exception {
    TraceStore store = open(options().withShards(1).withSegmentMaxBytes(4096).withMaxSpansPerTrace(30));
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    store.runOnSealers(() -> { // holds the seal of the segment rolled below
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      String t = Spans.randomTraceId();
      List<String> ids = new ArrayList<>();
      List<SpanRecord> first = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        first.add(Spans.span(t, "sealing-svc", "op" + i, 1_000 + i));
      }
      first.forEach(sp -> ids.add(sp.spanId()));
      store.write(A, first);
      writeUntilRoll(store, "noise-svc");
      assertThat(registry.get("loupe.tracestore.segments.sealing").gauge().value()).isEqualTo(1);
      assertThat(listFiles(".idx")).isEmpty();

      // the limit counts the trace's spans in the segment being sealed: 20 there, room for 10 more
      List<SpanRecord> more = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        more.add(Spans.span(t, "sealing-svc", "late" + i, 2_000 + i));
      }
      AppendResult r = store.write(A, more);
      assertThat(r.accepted()).isEqualTo(10);
      assertThat(r.rejectedCount()).isEqualTo(5);
      more.subList(0, 10).forEach(sp -> ids.add(sp.spanId()));

      assertThat(store.trace(A, t)).extracting(SpanRecord::spanId).containsExactlyElementsOf(ids);
      assertThat(store.search(A, TraceQuery.between(0, 1_000_000_000L, 20).withService("sealing-svc")))
          .extracting(TraceSummary::traceId).containsExactly(t);
      assertThat(store.services(A)).contains("sealing-svc", "noise-svc");
      assertThat(store.operations(A, "sealing-svc")).contains("op0", "late9");
    } finally {
      release.countDown();
    }
    store.awaitSeals();
    assertThat(registry.get("loupe.tracestore.segments.sealing").gauge().value()).isZero();
    assertThat(listFiles(".idx")).hasSize(1);
    assertThat(store.search(A, TraceQuery.between(0, 1_000_000_000L, 20).withService("sealing-svc")))
        .extracting(TraceSummary::traceId).hasSize(1);
  }

  @Test
  void aFailedSealLosesNoAcknowledgedSpan() throws Exception {
    TraceStore store = open(options().withShards(1));
    String t = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(t, "svc", "op", 1)));
    // a directory where the first segment's .idx goes: the seal cannot rename its index file into place
    Path blocker = dir.resolve("shard-000").resolve(String.format("%020d.idx", 1));
    Files.createDirectories(blocker.resolve("x"));
    assertThatThrownBy(store::roll).hasMessageContaining("rolling segments failed");
    assertThat(registry.get("loupe.tracestore.segments.sealing").gauge().value()).isZero();
    String later = Spans.randomTraceId();
    assertThat(store.write(A, List.of(Spans.span(later, "svc", "op", 2))).accepted()).isEqualTo(1);
    assertThat(store.trace(A, later)).hasSize(1);
    store.close();
    opened.remove(store);

    Files.delete(blocker.resolve("x"));
    Files.delete(blocker);
    TraceStore reopened = open(options().withShards(1)); // the unsealed segment is scanned and sealed at open
    assertThat(reopened.trace(A, t)).hasSize(1);
    assertThat(reopened.trace(A, later)).hasSize(1);
  }

  @Test
  void writesWaitWhileTooManySegmentsAreSealing() throws Exception {
    TraceStore store = open(options().withShards(1).withSegmentMaxBytes(4096));
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    store.runOnSealers(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      writeUntilRoll(store, "a");
      writeUntilRoll(store, "b");
      assertThat(registry.get("loupe.tracestore.segments.sealing").gauge().value()).isEqualTo(2);
      String t = Spans.randomTraceId();
      Future<AppendResult> blocked = writer.submit(() -> store.write(A, List.of(Spans.span(t, "c", "op", 1))));
      Thread.sleep(300);
      assertThat(blocked).as("a write while two segments wait for their seal").isNotDone();
      release.countDown();
      assertThat(blocked.get(30, java.util.concurrent.TimeUnit.SECONDS).accepted()).isEqualTo(1);
      assertThat(store.trace(A, t)).hasSize(1);
      assertThat(registry.get("loupe.tracestore.seal.wait").timer().count()).isEqualTo(1);
    } finally {
      release.countDown();
      writer.shutdown();
    }
  }

  @Test
  void timeRollSealsAnIdleActiveSegment() throws IOException {
    TraceStore store = open(options().withShards(1).withSegmentDuration(Duration.ofMinutes(10)));
    String t = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(t, "svc", "op", 1)));
    assertThat(listFiles(".idx")).isEmpty();
    clock.advance(Duration.ofMinutes(11));
    store.runMaintenance();
    store.awaitSeals(); // the roll seals it in the background
    assertThat(listFiles(".idx")).hasSize(1);
    assertThat(store.trace(A, t)).hasSize(1);
  }

  @Test
  void refusesSpansBeyondTheTraceLimitAndCountsThem() throws IOException {
    TraceStore store = open(options().withMaxSpansPerTrace(5));
    String t = Spans.randomTraceId();
    List<SpanRecord> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      first.add(Spans.span(t, "svc", "op", i));
    }
    assertThat(store.write(A, first).accepted()).isEqualTo(3);
    store.roll(); // the limit also counts the spans of the previous segment

    List<SpanRecord> second = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      second.add(Spans.span(t, "svc", "op", 10 + i));
    }
    String other = Spans.randomTraceId();
    second.add(Spans.span(other, "svc", "op", 1));
    AppendResult r = store.write(A, second);

    assertThat(r.accepted()).isEqualTo(3);
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.TRACE_TOO_LARGE, 2L));
    assertThat(r.firstErrors()).contains(t).contains("at most 5");
    assertThat(store.trace(A, t)).hasSize(5);
    assertThat(store.trace(A, other)).hasSize(1);
    // another tenant's trace with the same id has its own count
    assertThat(store.write(B, List.of(Spans.span(t, "svc", "op", 1))).accepted()).isEqualTo(1);
    assertThat(registry.get("loupe.tracestore.spans.rejected").tag("reason", "trace_too_large").counter().count())
        .isEqualTo(2);
  }

  @Test
  void refusesATenantOverItsSpanRateWithARetryHint() throws IOException {
    TraceStore store = open(options().withMaxSpansPerSecondPerTenant(10));
    String t = Spans.randomTraceId();
    List<SpanRecord> six = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      six.add(Spans.span(t, "svc", "op" + i, i));
    }
    assertThat(store.write(A, six).accepted()).isEqualTo(6);
    assertThatThrownBy(() -> store.write(A, six))
        .isInstanceOf(io.loupe.model.ResourceExhaustedException.class)
        .hasMessageContaining("tenant-a").hasMessageContaining("10 spans/s")
        .satisfies(e -> assertThat(((io.loupe.model.ResourceExhaustedException) e).retryAfter())
            .isEqualTo(Duration.ofMillis(200)));
    assertThat(store.write(B, six).accepted()).isEqualTo(6); // other tenants have their own bucket
    clock.advance(Duration.ofMillis(200));
    List<SpanRecord> sixMore = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      sixMore.add(Spans.span(t, "svc", "more" + i, i));
    }
    assertThat(store.write(A, sixMore).accepted()).isEqualTo(6);
    assertThat(store.trace(A, t)).hasSize(12);
    assertThat(registry.get("loupe.tracestore.spans.rate_limited").counter().count()).isEqualTo(6);
  }

  @Test
  void truncatesLongAttributeValuesAndRejectsUnsupportedTypes() throws IOException {
    TraceStore store = open(options().withMaxAttributeValueLength(16));
    String t = Spans.randomTraceId();
    SpanRecord base = Spans.span(t, "svc", "op", 1);
    Map<String, Object> attrs = new java.util.LinkedHashMap<>(base.attributes());
    attrs.put("db.statement", "SELECT * FROM orders WHERE id = 1");
    SpanRecord longValue = new SpanRecord(t, base.spanId(), "", "", "op", base.kind(), 1, 2, base.statusCode(), "",
        base.resourceAttributes(), "", "", attrs, List.of(), List.of(), 0);
    SpanRecord badType = new SpanRecord(t, Spans.randomSpanId(), "", "", "op", base.kind(), 1, 2, base.statusCode(),
        "", Map.of(), "", "", Map.of("when", Instant.EPOCH), List.of(), List.of(), 0);

    AppendResult r = store.write(A, List.of(longValue, badType));

    assertThat(r.accepted()).isEqualTo(1);
    assertThat(r.rejected()).isEqualTo(Map.of(RejectReason.INVALID_SPAN, 1L));
    assertThat(r.firstErrors()).contains("'when'");
    assertThat(store.trace(A, t).get(0).attributes().get("db.statement")).isEqualTo("SELECT * FROM or");
    assertThat(registry.get("loupe.tracestore.attributes.truncated").counter().count()).isEqualTo(1);
  }

  @Test
  void oneStorePerDataDirectory() throws IOException {
    TraceStore first = open(options());
    assertThatThrownBy(() -> open(options())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(dir.toString()).hasMessageContaining("in use by another trace store");
    first.close();
    TraceStore second = open(options()); // closing released it
    String t = Spans.randomTraceId();
    second.write(A, List.of(Spans.span(t, "svc", "op", 1)));
    assertThat(second.trace(A, t)).hasSize(1);
  }

  @Test
  void keepsTheShardCountItWasCreatedWith() throws IOException {
    TraceStore store = open(options().withShards(3));
    String t = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(t, "svc", "op", 1)));
    store.close();

    assertThat(open(options().withShards(5)).trace(A, t)).hasSize(1);
    assertThat(Files.exists(dir.resolve("shard-003"))).isFalse();
  }

  @Test
  void intervalFsyncStillAcknowledgesAndReads() throws IOException {
    TraceStore store = open(options().withFsync(FsyncPolicy.every(Duration.ofMillis(20))));
    String t = Spans.randomTraceId();
    store.write(A, List.of(Spans.span(t, "svc", "op", 1)));
    assertThat(store.trace(A, t)).hasSize(1);
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (registry.get("loupe.tracestore.fsync").timer().count() == 0 && System.nanoTime() < deadline) {
      sleep(5); // the background task forces within its 20 ms interval
    }
    assertThat(registry.get("loupe.tracestore.fsync").timer().count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void refusesWritesAfterClose() throws IOException {
    TraceStore store = open(options());
    store.close();
    assertThatThrownBy(() -> store.write(A, List.of(Spans.span(Spans.randomTraceId(), "s", "o", 1))))
        .isInstanceOf(StorageUnavailableException.class);
    store.close(); // idempotent
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Bytes of segments and their indexes: what size retention counts (not the trace id map, sized up front). */
  private long totalBytes() throws IOException {
    long bytes = 0;
    for (Path p : listFiles("")) {
      String n = p.getFileName().toString();
      if (!n.endsWith(".cmap") && !n.equals("trace-ids.meta")) {
        bytes += Files.size(p);
      }
    }
    return bytes;
  }

  private Path onlyFile(String suffix) throws IOException {
    Path[] files = listFiles(suffix);
    assertThat(files).hasSize(1);
    return files[0];
  }

  private Path[] listFiles(String suffix) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(suffix))
          .filter(p -> !p.getFileName().toString().equals("trace-store.meta")).sorted()
          .collect(Collectors.toList()).toArray(new Path[0]);
    }
  }
}
