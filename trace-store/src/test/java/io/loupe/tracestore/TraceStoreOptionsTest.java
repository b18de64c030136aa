package io.loupe.tracestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TraceStoreOptionsTest {
  @Test
  void defaultsAndWithers() {
    TraceStoreOptions o = TraceStoreOptions.defaults(Path.of("x"));
    assertThat(o.shards()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(o.fsync().isBeforeAck()).isTrue();
    assertThat(o.segmentDuration()).isEqualTo(Duration.ofHours(1));
    assertThat(o.segmentMaxBytes()).isEqualTo(256L << 20);
    assertThat(o.retention()).isEqualTo(Duration.ofDays(7));
    assertThat(o.maxSpansPerTrace()).isEqualTo(50_000);
    assertThat(o.maxAttributeValueLength()).isEqualTo(4096);
    assertThat(o.maxSpansPerSecondPerTenant()).isZero();
    assertThat(o.traceIdMapEntries()).isEqualTo(250_000);

    TraceStoreOptions w = o.withShards(3).withFsync(FsyncPolicy.every(Duration.ofMillis(50)))
        .withSegmentDuration(Duration.ofMinutes(5)).withSegmentMaxBytes(4096).withRetention(Duration.ofHours(2))
        .withRetentionBytes(1 << 30).withMaxSpansPerTrace(10).withMaxAttributeValueLength(64)
        .withMaxSpansPerSecondPerTenant(1000).withTraceIdMapEntries(5000);
    assertThat(w).isEqualTo(new TraceStoreOptions(Path.of("x"), 3, new FsyncPolicy(Duration.ofMillis(50)),
        Duration.ofMinutes(5), 4096, Duration.ofHours(2), 1 << 30, 10, 64, 1000, 5000));
  }

  @Test
  void rejectsNonsenseWithTheValueAndTheExpectation() {
    TraceStoreOptions o = TraceStoreOptions.defaults(Path.of("x"));
    assertThatThrownBy(() -> o.withShards(0)).hasMessage("shards: 0 (expected: 1 to 1024)");
    assertThatThrownBy(() -> o.withSegmentMaxBytes(10)).hasMessage("segmentMaxBytes: 10 (expected: >= 1024)");
    assertThatThrownBy(() -> o.withRetention(Duration.ZERO)).hasMessage("retention: PT0S (expected: > 0)");
    assertThatThrownBy(() -> o.withMaxSpansPerTrace(-1)).hasMessage("maxSpansPerTrace: -1 (expected: > 0)");
    assertThatThrownBy(() -> o.withTraceIdMapEntries(10)).hasMessage("traceIdMapEntries: 10 (expected: >= 1000)");
    assertThatThrownBy(() -> FsyncPolicy.every(Duration.ZERO)).hasMessage("fsync interval: PT0S (expected: > 0)");
  }
}
