package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Labels;
import java.util.List;

/** An instant vector: one sample per series, all at the same evaluation time. */
public record Vector(List<Sample> samples) implements Value {
  /** One element of an instant vector. */
  public record Sample(Labels labels, long timestampMs, double value) {
    public Sample {
      requireNonNull(labels, "labels");
    }
  }

  public Vector {
    requireNonNull(samples, "samples");
  }

  @Override
  public String typeName() {
    return "vector";
  }
}
