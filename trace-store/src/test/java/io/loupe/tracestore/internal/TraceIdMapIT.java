package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

  @Test
  void namesOnlyTheSegmentsOfATraceAcrossReopenAndCrash() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    m.add(key(1), 1);
    m.add(key(2), 1);
    m.sealed(1, 2);
    m.add(key(3), 2);
    m.sealed(2, 3);
    m.add(key(1), 3);
    assertThat(may(m, key(1))).containsExactly(1L, 3L);
    assertThat(may(m, key(2))).containsExactly(1L);
    assertThat(may(m, key(4))).isEmpty();
    assertThat(may(m, new TraceKey("other", 1, 31))).isEmpty(); // same id, other tenant
    m.close();

    m = TraceIdMap.open(dir, options, List.of(), 4, metrics);
    assertThat(may(m, key(1))).containsExactly(1L, 3L);
    m.add(key(5), 4);
    m.abandon(); // a crash: nothing forced, no clean mark

    m = TraceIdMap.open(dir, options, List.of(), 5, metrics); // Chronicle's recovery path
    assertThat(may(m, key(5))).containsExactly(4L);
    assertThat(may(m, key(1))).containsExactly(1L, 3L);
    m.close();
    assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isZero();
  }

  @Test
  void rotatesWhenHalfFullAndDropsGenerationsOfDeletedSegments() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    for (int i = 0; i < 600; i++) {
      m.add(key(i), 1);
    }
    m.sealed(1, 2); // 600 of 1000: a new generation from segment 2
    m.add(key(7), 2);
    assertThat(m.generationCount()).isEqualTo(2);
    assertThat(mapFiles()).hasSize(2);
    assertThat(may(m, key(7))).containsExactly(1L, 2L);

    m.dropBefore(2); // segment 1 is gone
    assertThat(m.generationCount()).isEqualTo(1);
    assertThat(mapFiles()).containsExactly(TraceIdMap.mapName(2));
    assertThat(may(m, key(7))).containsExactly(1L, 2L); // 1 is older than the map now: "any", it is gone anyway
    assertThat(may(m, key(8))).containsExactly(1L);
    m.close();
  }

  @Test
  void aFullGenerationAnswersAnySegmentAndNeverMisses() throws IOException {
    TraceIdMap m = TraceIdMap.open(dir, options, List.of(), 1, metrics);
    for (int i = 0; i < 40_000; i++) {
      m.add(key(i), 1);
    }
    assertThat(registry.get("loupe.tracestore.traceidmap.overflows").counter().count()).isEqualTo(1);
    for (int i = 0; i < 40_000; i += 997) {
      assertThat(may(m, key(i))).contains(1L);
    }
    m.sealed(1, 2); // and the next segment gets a fresh generation
    m.add(key(1), 2);
    assertThat(m.generationCount()).isEqualTo(2);
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
