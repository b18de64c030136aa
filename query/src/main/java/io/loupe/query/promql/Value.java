package io.loupe.query.promql;

/**
 * The result of evaluating a PromQL expression: a {@link Scalar}, a {@link StringValue}, an instant {@link Vector} or a
 * range {@link Matrix}. Float samples only for now; native histograms will add a histogram field to the sample types.
 */
public sealed interface Value permits Scalar, StringValue, Vector, Matrix {
  /** Prometheus's {@code resultType} name: {@code scalar}, {@code string}, {@code vector} or {@code matrix}. */
  String typeName();
}
