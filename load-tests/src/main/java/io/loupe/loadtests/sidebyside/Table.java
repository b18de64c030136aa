package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The side-by-side table: one row per metric, one column per system, then the ratio of the first system (Loupe) to
 * each of the others. A value that was not measured is NaN and shows as "-"; a ratio whose query answered differently
 * on the two systems is shown as "excluded", never computed.
 */
public final class Table {
  /**
   * One metric.
   *
   * @param metric what the row measures, with its unit ("samples/s accepted")
   * @param values one per system, in column order; NaN when not measured
   * @param decimals digits after the point when printed
   * @param excluded indexes of systems (1..n-1) whose ratio to system 0 must not be computed (answers differed)
   */
  public record Row(String metric, List<Double> values, int decimals, Set<Integer> excluded) {
    public Row {
      requireNonNull(metric, "metric");
      values = List.copyOf(requireNonNull(values, "values"));
      excluded = Set.copyOf(requireNonNull(excluded, "excluded"));
      if (decimals < 0 || decimals > 9) {
        throw new IllegalArgumentException("decimals: " + decimals + " (expected: 0..9)");
      }
    }

    public Row(String metric, List<Double> values, int decimals) {
      this(metric, values, decimals, Set.of());
    }

    /** values[0] / values[i], NaN when either is missing, zero in the denominator, or excluded. */
    public double ratio(int i) {
      if (excluded.contains(i)) {
        return Double.NaN;
      }
      double a = values.get(0);
      double b = values.get(i);
      if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
        return Double.NaN;
      }
      return a / b;
    }
  }

  private final List<String> systems;
  private final List<Row> rows = new ArrayList<>();

  /** A table over {@code systems}; the first is the one every ratio has in its numerator. */
  public Table(List<String> systems) {
    this.systems = List.copyOf(requireNonNull(systems, "systems"));
    if (this.systems.size() < 2) {
      throw new IllegalArgumentException("systems: " + systems + " (expected: at least 2)");
    }
  }

  public Table add(Row row) {
    requireNonNull(row, "row");
    if (row.values().size() != systems.size()) {
      throw new IllegalArgumentException("row " + row.metric() + ": " + row.values().size() + " values (expected: "
          + systems.size() + ")");
    }
    rows.add(row);
    return this;
  }

  public List<Row> rows() {
    return List.copyOf(rows);
  }

  private List<String> header() {
    List<String> h = new ArrayList<>();
    h.add("metric");
    h.addAll(systems);
    for (int i = 1; i < systems.size(); i++) {
      h.add(systems.get(0) + "/" + systems.get(i));
    }
    return h;
  }

  private List<List<String>> cells() {
    List<List<String>> out = new ArrayList<>();
    for (Row r : rows) {
      List<String> c = new ArrayList<>();
      c.add(r.metric());
      for (double v : r.values()) {
        c.add(number(v, r.decimals()));
      }
      for (int i = 1; i < systems.size(); i++) {
        c.add(r.excluded().contains(i) ? "excluded" : number(r.ratio(i), 2));
      }
      out.add(c);
    }
    return out;
  }

  static String number(double v, int decimals) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  /** Fixed-width text for a terminal: metric left-aligned, numbers right-aligned. */
  public String text() {
    List<String> h = header();
    List<List<String>> body = cells();
    int[] w = new int[h.size()];
    for (int i = 0; i < h.size(); i++) {
      w[i] = h.get(i).length();
      for (List<String> c : body) {
        w[i] = Math.max(w[i], c.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, h, w);
    for (List<String> c : body) {
      line(sb, c, w);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> cells, int[] w) {
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      String pad = " ".repeat(w[i] - c.length());
      sb.append(i == 0 ? c + pad : pad + c);
      sb.append(i == cells.size() - 1 ? "\n" : "  ");
    }
  }

  /** A GitHub-flavoured markdown table, numbers right-aligned. */
  public String markdown() {
    List<String> h = header();
    StringBuilder sb = new StringBuilder("| ").append(String.join(" | ", h)).append(" |\n|---");
    sb.append("|---:".repeat(h.size() - 1)).append("|\n");
    for (List<String> c : cells()) {
      // A '|' inside a cell (a regex alternation) would end the cell.
      List<String> escaped = c.stream().map(x -> x.replace("|", "\\|").replace("\n", " ")).toList();
      sb.append("| ").append(String.join(" | ", escaped)).append(" |\n");
    }
    return sb.toString();
  }
}
