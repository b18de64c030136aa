package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HeadRoutingTest {
  @Test
  void allocationFreeHashEqualsTheModelsStableHash() {
    Random r = new Random(11);
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
      assertThat(Head.stableHash(l)).as("%s", l).isEqualTo(l.stableHash());
    }
    assertThat(Head.stableHash(Labels.EMPTY)).isEqualTo(Labels.EMPTY.stableHash());
  }
}
