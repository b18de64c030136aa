package io.loupe.tracestore;

import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSummary;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The samples written by earlier builds still read, span for span: v1 (segments of deflated records), v2 (LZ4
 * records) and v3 (parents as indexes in their trace, starts relative to the previous span).
 */
class FrozenFormatIT {
  @TempDir Path dir;

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"v1, 1, 1", "v2, 2, 2", "v3, 3, 2"})
  void readsTheFrozenSample(String sample, int segmentVersion, int codec) throws IOException, URISyntaxException {
    Path src = Path.of(getClass().getResource("/testdata/trace-store/" + sample + "/trace-store.meta").toURI())
        .getParent();
    byte[] seg = Files.readAllBytes(src.resolve("shard-000/00000000000000000001.spans"));
    int header = 4 + 1 + "span-segment".length() + 2;
    assertThat(((seg[header - 2] & 0xFF) << 8) | (seg[header - 1] & 0xFF)).as("segment version")
        .isEqualTo(segmentVersion);
    assertThat(seg[header + 8 + 1]).as("codec of the first record (after length, CRC and type)")
        .isEqualTo((byte) codec);
    try (Stream<Path> s = Files.walk(src)) {
      for (Path p : s.toList()) {
        Path to = dir.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TraceStore store = TraceStore.open(TraceStoreOptions.defaults(dir).withShards(4), registry)) {
      assertThat(store.trace(FrozenFormat.TENANT, FrozenFormat.SEALED_TRACE).stream().map(Spans::comparable))
          .containsExactlyElementsOf(
              FrozenFormat.spans(FrozenFormat.SEALED_TRACE, 5).stream().map(Spans::comparable).toList());
      assertThat(store.trace(FrozenFormat.TENANT, FrozenFormat.CRASHED_TRACE).stream().map(Spans::comparable))
          .containsExactlyElementsOf(
              FrozenFormat.spans(FrozenFormat.CRASHED_TRACE, 3).stream().map(Spans::comparable).toList());
      assertThat(store.services(FrozenFormat.TENANT)).containsExactly("gateway", "worker");
      assertThat(store.search(FrozenFormat.TENANT, TraceQuery.between(0, Long.MAX_VALUE, 10)))
          .extracting(TraceSummary::traceId)
          .containsExactlyInAnyOrder(FrozenFormat.SEALED_TRACE, FrozenFormat.CRASHED_TRACE);
      assertThat(registry.get("loupe.tracestore.corruptions").counter().count()).isZero();
      assertThat(store.options().shards()).isEqualTo(1); // 4 asked for; the sample's 1 shard is kept
      assertThat(Files.exists(dir.resolve("shard-001"))).isFalse();
    }
    assertThat(List.of(dir.resolve("shard-000/00000000000000000002.idx"))).allMatch(Files::exists);
  }
}
