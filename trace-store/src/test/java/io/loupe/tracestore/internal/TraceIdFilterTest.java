package io.loupe.tracestore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TraceIdFilterTest {
  @Test
  void neverMissesAnAddedIdAndRarelyClaimsAnother() {
    TraceIdFilter f = new TraceIdFilter(200_000);
    SplittableRandom r = new SplittableRandom(1);
    long[] his = new long[200_000];
    long[] los = new long[200_000];
    for (int i = 0; i < his.length; i++) {
      his[i] = r.nextLong();
      los[i] = r.nextLong();
      f.add(his[i], los[i]);
    }
    for (int i = 0; i < his.length; i++) {
      assertThat(f.mightContain(his[i], los[i])).isTrue();
    }
    int falsePositives = 0;
    for (int i = 0; i < 100_000; i++) {
      if (f.mightContain(r.nextLong(), r.nextLong())) {
        falsePositives++;
      }
    }
    assertThat(falsePositives).isLessThan(3_000); // ~1-2 % at the budget it is sized for
    assertThat(f.size()).isBetween(190_000, 200_000); // adds that set a bit: about the distinct ids
  }

  @Test
  void sequentialIdsSpreadAcrossBlocks() {
    // ids that differ only in a few low bits (generators, XORed rounds) must not pile into one block
    TraceIdFilter f = new TraceIdFilter(100_000);
    for (long i = 1; i <= 100_000; i++) {
      f.add(0x1234L, i);
    }
    int falsePositives = 0;
    for (long i = 200_001; i <= 300_000; i++) {
      if (f.mightContain(0x1234L, i)) {
        falsePositives++;
      }
    }
    assertThat(falsePositives).isLessThan(3_000);
  }

  @Test
  void addSaysWhetherTheIdLookedNew() {
    TraceIdFilter f = new TraceIdFilter(10);
    assertThat(f.add(1, 2)).isTrue();
    assertThat(f.add(1, 2)).isFalse();
    assertThat(f.mightContain(1, 2)).isTrue();
    assertThat(f.mightContain(3, 4)).isFalse();
    assertThat(f.size()).isEqualTo(1);
  }

  @Test
  void retainKeepsWhatBothMayHold() {
    TraceIdFilter a = new TraceIdFilter(1000);
    TraceIdFilter b = new TraceIdFilter(1000);
    for (long i = 1; i <= 500; i++) {
      a.add(i, i);
      b.add(i + 250, i + 250);
    }
    a.retain(b);
    for (long i = 251; i <= 500; i++) {
      assertThat(a.mightContain(i, i)).isTrue();
    }
    int left = 0;
    for (long i = 1; i <= 250; i++) {
      left += a.mightContain(i, i) ? 1 : 0;
    }
    assertThat(left).isLessThan(25);
    assertThatThrownBy(() -> a.retain(new TraceIdFilter(1_000_000)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected");
  }
}
