package io.loupe.model;

import static java.util.Objects.requireNonNull;

/** Type, help and unit of a metric family, as Prometheus's {@code /api/v1/metadata} reports them. */
public record MetricMetadata(String metricFamily, Type type, String help, String unit) {
  /** Prometheus metric types, in their exposition-format spelling. */
  public enum Type {
    COUNTER("counter"), GAUGE("gauge"), HISTOGRAM("histogram"), GAUGEHISTOGRAM("gaugehistogram"),
    SUMMARY("summary"), INFO("info"), STATESET("stateset"), UNKNOWN("unknown");

    private final String text;

    Type(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }

    public static Type fromText(String s) {
      for (Type t : values()) {
        if (t.text.equals(s)) {
          return t;
        }
      }
      return UNKNOWN;
    }
  }

  public MetricMetadata {
    requireNonNull(metricFamily, "metricFamily");
    requireNonNull(type, "type");
    help = help == null ? "" : help;
    unit = unit == null ? "" : unit;
  }
}
