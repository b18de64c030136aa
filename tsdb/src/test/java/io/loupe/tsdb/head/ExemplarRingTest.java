package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExemplarRingTest {
  static List<Long> contents(ExemplarRing r) {
    List<Long> out = new ArrayList<>();
    r.forEach((ref, e) -> out.add(e.timestampMs()));
    return out;
  }

  @Test
  void growsToCapacityThenOverwritesOldestFirst() {
    ExemplarRing r = new ExemplarRing(50);
    for (long t = 0; t < 40; t++) {
      r.add(1, new Exemplar(Labels.EMPTY, 0, t));
    }
    assertThat(contents(r)).hasSize(40).first().isEqualTo(0L);
    for (long t = 40; t < 130; t++) {
      r.add(1, new Exemplar(Labels.EMPTY, 0, t));
    }
    List<Long> c = contents(r);
    assertThat(c).hasSize(50);
    assertThat(c.get(0)).isEqualTo(80L);
    assertThat(c.get(49)).isEqualTo(129L);
    for (int i = 1; i < c.size(); i++) {
      assertThat(c.get(i)).isEqualTo(c.get(i - 1) + 1);
    }
  }
}
