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

  /** The hash as defined: FNV-1a over every name and value encoded to UTF-8, 0xff after each, murmur3 finish. */
  private static long referenceHash(Labels l) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < l.size(); i++) {
      for (String s : new String[] {l.name(i), l.value(i)}) {
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
          h ^= (b & 0xff);
          h *= 0x100000001b3L;
        }
        h ^= 0xff;
        h *= 0x100000001b3L;
      }
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  @Test
  void allocationFreeStableHashEqualsItsDefinition() {
    java.util.Random r = new java.util.Random(11);
    String alphabet = "abcXYZ_09:/.-{}\"\\ \u00e9\u4e2d\ud83d\ude00";
    for (int n = 0; n < 2000; n++) {
      Labels.Builder b = Labels.builder();
      int labels = 1 + r.nextInt(6);
      for (int i = 0; i < labels; i++) {
        StringBuilder v = new StringBuilder();
        int len = 1 + r.nextInt(12);
        boolean ascii = r.nextBoolean();
        for (int k = 0; k < len; k++) {
          int limit = ascii ? 15 : alphabet.length() - 1;
          char c = alphabet.charAt(r.nextInt(limit));
          if (Character.isHighSurrogate(c)) {
            v.append(c).append(alphabet.charAt(alphabet.length() - 1));
          } else if (!Character.isLowSurrogate(c)) {
            v.append(c);
          }
        }
        b.set("l" + i, v.length() == 0 ? "x" : v.toString());
      }
      Labels l = b.build();
      assertThat(l.stableHash()).as("%s", l).isEqualTo(referenceHash(l));
    }
    assertThat(Labels.EMPTY.stableHash()).isEqualTo(referenceHash(Labels.EMPTY));
  }

  @Test
  void oddArgumentCountIsRefused() {
    assertThatThrownBy(() -> Labels.of("a")).hasMessageContaining("even");
  }
}
