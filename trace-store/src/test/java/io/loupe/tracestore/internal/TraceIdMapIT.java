package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceIdMapIT {
  @TempDir Path dir;
  SimpleMeterRegistry registry = new SimpleMeterRegistry();
  StoreMetrics metrics = new StoreMetrics(registry);
  TraceIdMap.Options options = new TraceIdMap.Options(1000, 24);

  static TraceKey key(int i) {
    return new TraceKey("t", i, i * 31L);
  }

  /** A sealed segment's index holding {@code keys}, as the shard hands it to the map. */
  private SegmentIndex index(long seq, TraceKey... keys) throws IOException {
    SegmentIndex.Builder b = new SegmentIndex.Builder();
    for (TraceKey k : keys) {
      b.add(new SpanCodec.Header(1, 1, 2, k.tenant(), new byte[][] {TraceIds.toBytes(k.hi(), k.lo())},
          new int[] {1}), 100);
    }
    Path file = dir.resolve("seg-" + seq + ".idx");
    b.write(file, 200);
    return SegmentIndex.open(file);
  }

  private SegmentIndex index(long seq, int from, int to) throws IOException {
    return index(seq, IntStream.range(from, to).mapToObj(TraceIdMapIT::key).toArray(TraceKey[]::new));
  }

  private void seal(TraceIdMap m, long seq, TraceKey... keys) throws IOException {
    m.sealed(seq, index(seq, keys));
    m.awaitRecorded();
  }

  @Test
  void namesOnlyTheSegmentsOfATraceAcrossReopenAndCrash() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    seal(m, 1, key(1), key(2));
    seal(m, 2, key(3));
    seal(m, 3, key(1));
    assertThat(may(m, key(1))).containsExactly(1L, 3L);
    assertThat(may(m, key(2))).containsExactly(1L);
    assertThat(may(m, key(4))).isEmpty();
    assertThat(may(m, new TraceKey("other", 1, 31))).isEmpty(); // same id, other tenant
    m.close();

    m = TraceIdMap.open(dir, options, List.of(), 4, metrics);
    assertThat(may(m, key(1))).containsExactly(1L, 3L);
    seal(m, 4, key(5)); // put, forced and marked
    m.abandon(); // a crash: no clean mark

    m = TraceIdMap.open(dir, options, List.of(), 5, metrics); // Chronicle's recovery path
    assertThat(may(m, key(5))).containsExactly(4L);
    assertThat(may(m, key(1))).containsExactly(1L, 3L);
    m.close();
    assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isZero();
  }

  @Test
  void aSegmentNotYetRecordedIsAnsweredAsMayHold() throws Exception {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    seal(m, 1, key(1));
    // A segment handed over while the recorder is busy: until its entries are in, every lookup may find it there.
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    m.runOnRecorder(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    m.sealed(2, index(2, key(2)));
    assertThat(may(m, key(7))).containsExactly(2L);
    assertThat(may(m, key(1))).containsExactly(1L, 2L);
    release.countDown();
    m.awaitRecorded();
    assertThat(may(m, key(7))).isEmpty();
    assertThat(may(m, key(2))).containsExactly(2L);
    m.close();
  }

  @Test
  void aBusySegmentGetsAGenerationSizedForItAndOldGenerationsGoWithTheirSegments() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    m.sealed(1, index(1, 0, 600));
    m.awaitRecorded();
    m.sealed(2, index(2, 600, 3600)); // 3,000 more would not fit the 1,000 declared: a new one, for 6,000
    m.awaitRecorded();
    assertThat(m.generationCount()).isEqualTo(2);
    assertThat(mapFiles()).containsExactly(TraceIdMap.mapName(1), TraceIdMap.mapName(2));
    assertThat(registry.get("loupe.tracestore.traceidmap.overflows").counter().count()).isZero();
    assertThat(may(m, key(5))).containsExactly(1L);
    assertThat(may(m, key(3000))).containsExactly(2L);
    seal(m, 3, key(5));
    assertThat(m.generationCount()).isEqualTo(2); // room left in the second
    assertThat(may(m, key(5))).containsExactly(1L, 3L);

    m.dropBefore(2); // segment 1 is gone
    assertThat(m.generationCount()).isEqualTo(1);
    assertThat(mapFiles()).containsExactly(TraceIdMap.mapName(2));
    assertThat(may(m, key(5))).containsExactly(1L, 3L); // 1 is older than the map now: "any", it is gone anyway
    m.close();

    m = TraceIdMap.open(dir, options, List.of(), 4, metrics); // the sizes declared are kept in the meta file
    assertThat(may(m, key(3000))).containsExactly(1L, 2L);
    m.close();
  }

  @Test
  void aFirstSegmentLargerThanDeclaredGetsItsGenerationDeclaredAgain() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    m.sealed(1, index(1, 0, 5000));
    m.awaitRecorded();
    assertThat(m.generationCount()).isEqualTo(1);
    assertThat(registry.get("loupe.tracestore.traceidmap.overflows").counter().count()).isZero();
    for (int i = 0; i < 5000; i += 97) {
      assertThat(may(m, key(i))).containsExactly(1L);
    }
    m.close();
  }

  @Test
  void aFullGenerationAnswersAnySegmentAndNeverMisses() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    seal(m, 1, key(1));
    m.sealed(2, index(2, 0, 3000)); // a generation of its own
    m.awaitRecorded();
    assertThat(m.generationCount()).isEqualTo(2);
    m.close();
    // Generation 1 is lost: at open it is recreated as declared (1,000) and its segment's entries are added again
    // from the segment's index, 40,000 of them here: beyond Chronicle's room.
    Files.delete(dir.resolve(TraceIdMap.mapName(1)));
    Files.writeString(dir.resolve("seg"), "");
    List<SealedSegment> segments = List.of(new SealedSegment(1, dir.resolve("seg"), null, index(1, 0, 40_000), null),
        new SealedSegment(2, dir.resolve("seg"), null, index(2, 0, 3000), null));
    m = TraceIdMap.open(dir, options, segments, 3, metrics);
    assertThat(registry.get("loupe.tracestore.traceidmap.overflows").counter().count()).isEqualTo(1);
    for (int i = 0; i < 40_000; i += 997) {
      assertThat(may(m, key(i))).contains(1L);
    }
    assertThat(may(m, key(2999))).containsExactly(1L, 2L);
    assertThat(may(m, key(3000))).containsExactly(1L);
    m.close();
  }

  private static List<Long> may(TraceIdMap m, TraceKey k) {
    TraceIdMap.Candidates c = m.candidates(k);
    return Stream.of(1L, 2L, 3L, 4L, 5L).filter(c::mayHold).toList();
  }

  private List<String> mapFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cmap")).sorted().toList();
    }
  }
}
