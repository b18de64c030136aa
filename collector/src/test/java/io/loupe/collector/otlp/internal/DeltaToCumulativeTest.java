package io.loupe.collector.otlp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DeltaToCumulativeTest {
  private final AtomicLong clock = new AtomicLong();
  private final DeltaToCumulative state = new DeltaToCumulative(10, 1_000, clock::get);
  private final double[] out = new double[1];

  @Test
  void sumsAccumulateAndGapsAreAccepted() {
    assertThat(state.sum("k", 100, 200, 5, out)).isNull();
    assertThat(out[0]).isEqualTo(5);
    assertThat(state.sum("k", 300, 400, 2, out)).isNull(); // a gap from 200 to 300: accepted
    assertThat(out[0]).isEqualTo(7);
  }

  @Test
  void olderPointsAndEarlierStartsAreRefused() {
    state.sum("k", 100, 200, 5, out);
    assertThat(state.sum("k", 150, 200, 1, out)).contains("is not after the last point");
    assertThat(state.sum("k", 50, 300, 1, out)).contains("start_time_unix_nano 50 is before the start of this delta"
        + " series (100)");
    assertThat(state.sum("k", 0, 300, 1, out)).isNull(); // no start time: nothing to check
    assertThat(out[0]).isEqualTo(6);
  }

  @Test
  void histogramsAccumulatePerBucketAndRestartWhenBoundsChange() {
    DeltaToCumulative.HistogramOut h = new DeltaToCumulative.HistogramOut();
    assertThat(state.histogram("h", 0, 1, List.of(1.0), 3, 2.5, List.of(1L, 2L), h)).isNull();
    assertThat(state.histogram("h", 1, 2, List.of(1.0), 1, 0.5, List.of(1L, 0L), h)).isNull();
    assertThat(h.count).isEqualTo(4);
    assertThat(h.sum).isEqualTo(3.0);
    assertThat(h.buckets).containsExactly(2, 2);
    // retry of the last point: same totals again
    assertThat(state.histogram("h", 1, 2, List.of(1.0), 1, 0.5, List.of(1L, 0L), h)).isNull();
    assertThat(h.count).isEqualTo(4);
    // new bounds: the stream starts over
    assertThat(state.histogram("h", 2, 3, List.of(1.0, 2.0), 1, 1, List.of(0L, 1L, 0L), h)).isNull();
    assertThat(h.count).isEqualTo(1);
    assertThat(h.buckets).containsExactly(0, 1, 0);
  }

  @Test
  void fullStateRefusesNewStreamsUntilIdleOnesExpire() {
    DeltaToCumulative small = new DeltaToCumulative(1, 1_000, clock::get);
    assertThat(small.sum("a", 0, 1, 1, out)).isNull();
    assertThat(small.sum("b", 0, 1, 1, out)).contains("state is full (1 streams)");
    clock.set(500_000_000L); // "a" idle for 0.5 s > 1 µs, but sweeps run at most once a second
    assertThat(small.sum("b", 0, 1, 1, out)).contains("state is full");
    clock.set(2_000_000_000L);
    assertThat(small.sum("b", 0, 1, 1, out)).isNull();
    assertThat(small.size()).isEqualTo(1);
  }
}
