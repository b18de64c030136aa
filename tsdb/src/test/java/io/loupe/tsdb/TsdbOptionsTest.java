package io.loupe.tsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TsdbOptionsTest {
  final TsdbOptions defaults = TsdbOptions.defaults(Path.of("data"));

  @Test
  void headChunkSegmentsAre32MiBByDefaultZeroTurnsTheFileOffAndOtherSizesAreChecked() {
    assertThat(defaults.headChunksSegmentSize()).isEqualTo(32L << 20);
    assertThat(defaults.withHeadChunksSegmentSize(0).headChunksSegmentSize()).isZero();
    assertThat(defaults.withHeadChunksSegmentSize(64 << 10).withShards(3).headChunksSegmentSize()).isEqualTo(64 << 10);
    assertThatThrownBy(() -> defaults.withHeadChunksSegmentSize(1000)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("headChunksSegmentSize: 1000 (expected: 0 or 65536 to 1073741824)");
    assertThatThrownBy(() -> defaults.withHeadChunksSegmentSize(2L << 30))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
