package io.loupe.query.promql.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.loupe.query.promql.Engine;
import io.loupe.query.promql.EngineOptions;
import io.loupe.query.promql.Matrix;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AggregationsTest {
  private static final Duration T = Duration.ofSeconds(30);

  @AfterEach
  void restore() {
    Aggregations.seriesMajorTopkLimit = Aggregations.SERIES_MAJOR_TOPK_LIMIT;
  }

  /** Values from a few levels (ties), NaNs and gaps, so the heaps' tie-breaking is exercised. */
  private static ArrayQueryable tiedData(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    ArrayQueryable q = new ArrayQueryable();
    for (int s = 0; s < 60; s++) {
      long[] ts = new long[80];
      double[] vs = new double[80];
      int n = 0;
      for (int i = 0; i < 80; i++) {
        if (rnd.nextInt(10) == 0) {
          continue;
        }
        ts[n] = i * 15_000L;
        vs[n++] = rnd.nextInt(12) == 0 ? Double.NaN : rnd.nextInt(5);
      }
      q.add(Labels.of("__name__", "g", "grp", "g" + s % 4, "i", Integer.toString(s)), Arrays.copyOf(ts, n),
          Arrays.copyOf(vs, n));
    }
    return q;
  }

  private static Matrix run(ArrayQueryable q, String query) {
    return (Matrix) new Engine(q, EngineOptions.defaults().withExperimentalFunctions(true))
        .rangeQuery(Tenant.ANONYMOUS, query, 0, 79 * 15_000L, 15_000, T, () -> false);
  }

  @Test
  void seriesMajorTopkKeepsWhatStepMajorKeeps() {
    String[] queries = {"topk(3, g)", "bottomk(2, g)", "topk by (grp) (2, g)", "bottomk without (i) (4, g)",
        "topk(scalar(count(g)) - 55, g)", "limitk(3, g)", "limitk by (grp) (1, g)", "topk(100, g)"};
    for (long seed = 1; seed <= 5; seed++) {
      ArrayQueryable q = tiedData(seed);
      for (String query : queries) {
        Aggregations.seriesMajorTopkLimit = Aggregations.SERIES_MAJOR_TOPK_LIMIT;
        Matrix fast = run(q, query);
        Aggregations.seriesMajorTopkLimit = 0;
        Matrix slow = run(q, query);
        assertThat(fast.series()).as(query).hasSize(slow.series().size()).isNotEmpty();
        for (int i = 0; i < fast.series().size(); i++) {
          Matrix.Series a = fast.series().get(i);
          Matrix.Series b = slow.series().get(i);
          assertThat(a.labels().toString()).as(query).isEqualTo(b.labels().toString());
          assertThat(Arrays.copyOf(a.timestamps(), a.length())).as(query)
              .isEqualTo(Arrays.copyOf(b.timestamps(), b.length()));
          assertThat(Arrays.copyOf(a.values(), a.length())).as(query).isEqualTo(Arrays.copyOf(b.values(), b.length()));
        }
      }
    }
  }
}
