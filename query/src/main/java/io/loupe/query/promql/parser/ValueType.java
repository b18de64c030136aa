package io.loupe.query.promql.parser;

/** The static type of a PromQL expression. */
public enum ValueType {
  SCALAR("scalar"), STRING("string"), VECTOR("instant vector"), MATRIX("range vector");

  private final String text;

  ValueType(String text) {
    this.text = text;
  }

  /** The name Prometheus uses in error messages ("instant vector"). */
  public String text() {
    return text;
  }

  /** The name Prometheus uses in API results and the parse_query JSON ("vector"). */
  public String apiName() {
    return switch (this) {
      case SCALAR -> "scalar";
      case STRING -> "string";
      case VECTOR -> "vector";
      case MATRIX -> "matrix";
    };
  }
}
