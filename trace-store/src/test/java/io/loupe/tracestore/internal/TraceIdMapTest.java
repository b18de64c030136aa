package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TraceIdMapTest {
  @Test
  void keepsUpToFourSegmentsPerTraceThenAnswersAny() {
    long v = TraceIdMap.withSegment(0, 0);
    assertThat(v).isEqualTo(1);
    assertThat(TraceIdMap.withSegment(v, 0)).isEqualTo(v); // already there
    v = TraceIdMap.withSegment(v, 5);
    v = TraceIdMap.withSegment(v, 6);
    v = TraceIdMap.withSegment(v, 7);
    assertThat(v).isEqualTo(1L | 6L << 16 | 7L << 32 | 8L << 48);
    assertThat(TraceIdMap.withSegment(v, 8)).isEqualTo(-1L);
    assertThat(TraceIdMap.withSegment(-1L, 1)).isEqualTo(-1L);
    assertThat(TraceIdMap.withSegment(0, 0xFFFE)).isEqualTo(-1L); // past the 16-bit slot
  }

  @Test
  void keysDifferByTenantAndBothHalvesOfTheId() {
    long k = TraceIdMap.key(1, 2, 3);
    assertThat(TraceIdMap.key(2, 2, 3)).isNotEqualTo(k);
    assertThat(TraceIdMap.key(1, 3, 3)).isNotEqualTo(k);
    assertThat(TraceIdMap.key(1, 2, 4)).isNotEqualTo(k);
    assertThat(TraceIdMap.key(1, 2, 3)).isEqualTo(k);
  }
}
