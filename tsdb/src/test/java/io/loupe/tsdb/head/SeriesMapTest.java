package io.loupe.tsdb.head;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SeriesMapTest {
  /** 2^bits label sets whose hash codes are all equal ("Aa" and "BB" hash alike), and as many ordinary ones. */
  private static List<Labels> labels(int bits) {
    List<Labels> out = new ArrayList<>();
    for (int m = 0; m < 1 << bits; m++) {
      StringBuilder v = new StringBuilder();
      for (int b = 0; b < bits; b++) {
        v.append((m >> b & 1) == 0 ? "Aa" : "BB");
      }
      out.add(Labels.of("__name__", "x", "v", v.toString()));
      out.add(Labels.of("__name__", "y", "i", Integer.toString(m)));
    }
    return out;
  }

  @Test
  void agreesWithAHashMapThroughAddsAndRemovesWithCollidingHashes() {
    List<Labels> all = labels(8);
    assertThat(all.get(0).hashCode()).isEqualTo(all.get(2).hashCode());
    TenantIndex.SeriesMap map = new TenantIndex.SeriesMap();
    HashMap<Labels, MemSeries> ref = new HashMap<>();
    Random rnd = new Random(5);
    for (int step = 0; step < 20_000; step++) {
      Labels l = all.get(rnd.nextInt(all.size()));
      // fresh copies look up as equal, not identical, labels
      Labels probe = Labels.of("__name__", new String(l.get("__name__")), l.name(1), new String(l.value(1)));
      MemSeries have = ref.get(l);
      assertThat(map.get(probe)).isSameAs(have);
      if (have == null) {
        MemSeries s = new MemSeries(step, step, l);
        map.put(s);
        ref.put(l, s);
      } else if (rnd.nextInt(3) == 0) {
        map.remove(have);
        ref.remove(l);
      }
      assertThat(map.size()).isEqualTo(ref.size());
    }
    for (Labels l : all) {
      assertThat(map.get(l)).isSameAs(ref.get(l));
    }
    map.remove(new MemSeries(-1, -1, all.get(0))); // not in the map: no change
    assertThat(map.size()).isEqualTo(ref.size());
  }
}
