package io.loupe.query.promql;

/** A single number at a time. */
public record Scalar(long timestampMs, double value) implements Value {
  @Override
  public String typeName() {
    return "scalar";
  }
}
