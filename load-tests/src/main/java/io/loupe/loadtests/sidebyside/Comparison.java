package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns the measurements of the systems into the side-by-side table, checking that every dashboard query answered
 * the same, non-empty result on the first system (Loupe) and each other one. A query that answered differently (or
 * failed, or came back empty) on a pair is reported in {@link #problems} and left out of that pair's ratio.
 */
public final class Comparison {
  /** Relative tolerance on values: the systems sum in different orders. */
  public static final double TOLERANCE = 1e-9;

  private final Table table;
  private final List<String> problems;

  private Comparison(Table table, List<String> problems) {
    this.table = table;
    this.problems = problems;
  }

  public Table table() {
    return table;
  }

  /** Every failed, empty or differing query answer, one line each, naming the query and the systems. */
  public List<String> problems() {
    return problems;
  }

  public static Comparison of(List<Measurement> runs, List<DashboardQuery> queries) {
    requireNonNull(runs, "runs");
    requireNonNull(queries, "queries");
    if (runs.size() < 2) {
      throw new IllegalArgumentException("runs: " + runs.size() + " (expected: at least 2)");
    }
    List<String> problems = new ArrayList<>();
    Table t = new Table(runs.stream().map(Measurement::system).toList());
    t.add(new Table.Row("samples accepted", values(runs, m -> (double) m.samplesAccepted()), 0));
    t.add(new Table.Row("samples/s accepted", values(runs, Measurement::samplesPerSecond), 0));
    t.add(new Table.Row("backend CPU s / M samples", values(runs, Measurement::cpuSecondsPerMillionSamples), 2));
    t.add(new Table.Row("peak RSS after ingest (MiB)", values(runs, m -> mib(m.peakRssAfterIngest())), 0));
    t.add(new Table.Row("bytes per active series (peak RSS / series)", values(runs,
        Measurement::bytesPerActiveSeries), 0));
    t.add(new Table.Row("peak RSS after queries (MiB)", values(runs, m -> mib(m.peakRssAfterQueries())), 0));
    t.add(new Table.Row("disk bytes per sample (after flush + stop)", values(runs, Measurement::diskBytesPerSample),
        2));
    t.add(new Table.Row("disk bytes per sample (compacted)", values(runs, Measurement::compactedBytesPerSample), 2));
    queryRows(t, problems, runs, queries, Measurement::queries, "");
    if (runs.stream().anyMatch(m -> !m.queriesAfterRestart().isEmpty())) {
      queryRows(t, problems, runs, queries, Measurement::queriesAfterRestart, " after restart");
    }
    return new Comparison(t, List.copyOf(problems));
  }

  private static void queryRows(Table t, List<String> problems, List<Measurement> runs,
      List<DashboardQuery> queries, Function<Measurement, Map<String, QueryTiming>> phase, String suffix) {
    for (DashboardQuery q : queries) {
      Set<Integer> excluded = new HashSet<>();
      String name = q.name() + suffix;
      QueryTiming first = phase.apply(runs.get(0)).get(q.name());
      for (int i = 0; i < runs.size(); i++) {
        QueryTiming qt = phase.apply(runs.get(i)).get(q.name());
        if (qt == null || !qt.ok()) {
          problems.add(name + ": failed on " + runs.get(i).system() + ": " + (qt == null ? "not run" : qt.error()));
        } else if (qt.result().isEmpty()) {
          problems.add(name + ": empty result on " + runs.get(i).system());
        }
      }
      for (int i = 1; i < runs.size(); i++) {
        QueryTiming other = phase.apply(runs.get(i)).get(q.name());
        if (!usable(first) || !usable(other)) {
          excluded.add(i);
          continue;
        }
        Optional<String> diff = first.result().difference(other.result(), TOLERANCE);
        if (diff.isPresent()) {
          excluded.add(i);
          problems.add(name + ": " + runs.get(0).system() + " vs " + runs.get(i).system() + " differ: " + diff.get());
        }
      }
      t.add(new Table.Row("`" + q.expr() + "` p50" + suffix + " (ms)", values(runs, m -> p(phase.apply(m), q, true)),
          1, excluded));
      t.add(new Table.Row("`" + q.expr() + "` p90" + suffix + " (ms)", values(runs, m -> p(phase.apply(m), q, false)),
          1, excluded));
    }
  }

  private static boolean usable(QueryTiming qt) {
    return qt != null && qt.ok() && !qt.result().isEmpty();
  }

  private static double p(Map<String, QueryTiming> answers, DashboardQuery q, boolean median) {
    QueryTiming qt = answers.get(q.name());
    if (qt == null || !qt.ok()) {
      return Double.NaN;
    }
    return median ? qt.p50() : qt.p90();
  }

  private static double mib(long bytes) {
    return bytes < 0 ? Double.NaN : bytes / (1024.0 * 1024.0);
  }

  private static List<Double> values(List<Measurement> runs, java.util.function.ToDoubleFunction<Measurement> f) {
    return runs.stream().map(m -> f.applyAsDouble(m)).toList();
  }
}
