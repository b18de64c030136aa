package io.loupe.query.promql.parser;

import io.loupe.query.promql.QueryException;

/** A query that does not parse or type-check; the message starts with "line:column: parse error:". */
public final class ParseException extends QueryException {
  private static final long serialVersionUID = 1L;

  private final int line;
  private final int column;

  public ParseException(int line, int column, String detail) {
    super(ErrorType.BAD_DATA, line + ":" + column + ": parse error: " + detail);
    this.line = line;
    this.column = column;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  static ParseException at(String input, int offset, String detail) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < offset && i < input.length(); i++) {
      if (input.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return new ParseException(line, col, detail);
  }
}
