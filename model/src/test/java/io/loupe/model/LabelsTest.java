package io.loupe.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LabelsTest {
  @Test
  void sortedUniqueAndEmptyValuesDropped() {
    Labels l = Labels.of("job", "a", "__name__", "up", "instance", "x", "job", "b", "zone", "");
    assertThat(l.size()).isEqualTo(3);
    assertThat(l.name(0)).isEqualTo("__name__");
    assertThat(l.name(1)).isEqualTo("instance");
    assertThat(l.get("job")).isEqualTo("b");
    assertThat(l.get("zone")).isEmpty();
    assertThat(l.toString()).isEqualTo("up{instance=\"x\", job=\"b\"}");
  }

  @Test
  void builderReuseAndRemove() {
    Labels.Builder b = Labels.builder();
    for (int i = 40; i >= 0; i--) { // past the initial capacity, reverse order
      b.set("l" + (100 + i), "v" + i);
    }
    b.remove("l120");
    Labels l = b.build();
    assertThat(l.size()).isEqualTo(40);
    for (int i = 1; i < l.size(); i++) {
      assertThat(l.name(i - 1).compareTo(l.name(i))).isNegative();
    }
    assertThat(b.reset().set("a", "1").build().equals(Labels.of("a", "1"))).isTrue();
  }

  @Test
  void equalityHashAndStableHash() {
    Labels a = Labels.of("a", "1", "b", "2");
    Labels b = Labels.of("b", "2", "a", "1");
    assertThat(a.equals(b)).isTrue();
    assertThat(a.hashCode()).isEqualTo(b.hashCode());
    assertThat(a.stableHash()).isEqualTo(b.stableHash());
    // "a=1,b=2" and "a=1b,=2"-like confusions must not collide by construction
    assertThat(Labels.of("a", "1b").stableHash()).isNotEqualTo(Labels.of("a1", "b").stableHash());
    // Frozen: routing and on-disk names depend on it.
    assertThat(Labels.of("__name__", "up").stableHash()).isEqualTo(Labels.of("__name__", "up").stableHash());
  }

  @Test
  void oddArgumentCountIsRefused() {
    assertThatThrownBy(() -> Labels.of("a")).hasMessageContaining("even");
  }
}
