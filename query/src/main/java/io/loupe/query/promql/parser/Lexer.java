package io.loupe.query.promql.parser;

import java.util.ArrayList;
import java.util.List;

/** Splits PromQL text into tokens. Keywords are plain identifiers here; the parser decides by context. */
final class Lexer {
  enum Kind {
    EOF, IDENT, NUMBER, DURATION, STRING, LPAREN, RPAREN, LBRACE, RBRACE, LBRACKET, RBRACKET, COMMA, COLON, AT,
    ASSIGN, EQLC, NEQ, EQL_REGEX, NEQ_REGEX, LSS, LTE, GTR, GTE, ADD, SUB, MUL, DIV, MOD, POW
  }

  record Token(Kind kind, String text, int pos) {
    String describe() {
      return switch (kind) {
        case EOF -> "end of input";
        case IDENT -> "identifier \"" + text + "\"";
        case NUMBER -> "number \"" + text + "\"";
        case DURATION -> "duration \"" + text + "\"";
        case STRING -> "string " + Printer.quote(text);
        case ADD, SUB, MUL, DIV, MOD, POW, EQLC, NEQ, LSS, LTE, GTR, GTE -> "<op:" + text + ">";
        case LPAREN -> "\"(\"";
        case RPAREN -> "\")\"";
        case LBRACE -> "\"{\"";
        case RBRACE -> "\"}\"";
        case LBRACKET -> "\"[\"";
        case RBRACKET -> "\"]\"";
        case COMMA -> "\",\"";
        case COLON -> "\":\"";
        case AT -> "<@>";
        case ASSIGN -> "\"=\"";
        case EQL_REGEX -> "\"=~\"";
        case NEQ_REGEX -> "\"!~\"";
      };
    }
  }

  private final String in;
  private int pos;

  Lexer(String in) {
    this.in = in;
  }

  List<Token> tokens() {
    List<Token> out = new ArrayList<>();
    while (true) {
      Token t = next();
      out.add(t);
      if (t.kind == Kind.EOF) {
        return out;
      }
    }
  }

  private ParseException err(int at, String msg) {
    return ParseException.at(in, at, msg);
  }

  private Token next() {
    while (pos < in.length()) {
      char c = in.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        pos++;
      } else if (c == '#') {
        while (pos < in.length() && in.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        break;
      }
    }
    int start = pos;
    if (pos >= in.length()) {
      return new Token(Kind.EOF, "", pos);
    }
    char c = in.charAt(pos);
    char n = pos + 1 < in.length() ? in.charAt(pos + 1) : 0;
    switch (c) {
      case '(': pos++; return new Token(Kind.LPAREN, "(", start);
      case ')': pos++; return new Token(Kind.RPAREN, ")", start);
      case '{': pos++; return new Token(Kind.LBRACE, "{", start);
      case '}': pos++; return new Token(Kind.RBRACE, "}", start);
      case '[': pos++; return new Token(Kind.LBRACKET, "[", start);
      case ']': pos++; return new Token(Kind.RBRACKET, "]", start);
      case ',': pos++; return new Token(Kind.COMMA, ",", start);
      case '@': pos++; return new Token(Kind.AT, "@", start);
      case '+': pos++; return new Token(Kind.ADD, "+", start);
      case '-': pos++; return new Token(Kind.SUB, "-", start);
      case '*': pos++; return new Token(Kind.MUL, "*", start);
      case '/': pos++; return new Token(Kind.DIV, "/", start);
      case '%': pos++; return new Token(Kind.MOD, "%", start);
      case '^': pos++; return new Token(Kind.POW, "^", start);
      case '=':
        if (n == '=') {
          pos += 2;
          return new Token(Kind.EQLC, "==", start);
        } else if (n == '~') {
          pos += 2;
          return new Token(Kind.EQL_REGEX, "=~", start);
        }
        pos++;
        return new Token(Kind.ASSIGN, "=", start);
      case '!':
        if (n == '=') {
          pos += 2;
          return new Token(Kind.NEQ, "!=", start);
        } else if (n == '~') {
          pos += 2;
          return new Token(Kind.NEQ_REGEX, "!~", start);
        }
        throw err(start, "unexpected character after '!': " + (n == 0 ? "end of input" : "'" + n + "'"));
      case '<':
        if (n == '=') {
          pos += 2;
          return new Token(Kind.LTE, "<=", start);
        }
        pos++;
        return new Token(Kind.LSS, "<", start);
      case '>':
        if (n == '=') {
          pos += 2;
          return new Token(Kind.GTE, ">=", start);
        }
        pos++;
        return new Token(Kind.GTR, ">", start);
      case '"':
      case '\'':
        return new Token(Kind.STRING, lexString(c), start);
      case '`': {
        int end = in.indexOf('`', pos + 1);
        if (end < 0) {
          throw err(start, "unterminated raw string");
        }
        String s = in.substring(pos + 1, end);
        pos = end + 1;
        return new Token(Kind.STRING, s, start);
      }
      case ':':
        if (isIdentChar(n) && !Character.isDigit(n)) {
          return lexIdent(start);
        }
        pos++;
        return new Token(Kind.COLON, ":", start);
      default:
        break;
    }
    if (Character.isDigit(c) || (c == '.' && Character.isDigit(n))) {
      return lexNumber(start);
    }
    if (isIdentStart(c)) {
      return lexIdent(start);
    }
    throw err(start, "unexpected character: '" + c + "'");
  }

  private Token lexIdent(int start) {
    while (pos < in.length() && isIdentChar(in.charAt(pos))) {
      pos++;
    }
    String s = in.substring(start, pos);
    if (s.equalsIgnoreCase("inf") || s.equalsIgnoreCase("nan")) {
      return new Token(Kind.NUMBER, s, start);
    }
    return new Token(Kind.IDENT, s, start);
  }

  static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }

  static boolean isIdentChar(char c) {
    return isIdentStart(c) || (c >= '0' && c <= '9');
  }

  private Token lexNumber(int start) {
    // A duration is digits followed by a unit, possibly repeated (1h30m); anything else is a number.
    int p = start;
    while (p < in.length() && Character.isDigit(in.charAt(p))) {
      p++;
    }
    if (p < in.length() && p > start && isUnitStart(p)) {
      pos = start;
      while (true) {
        int q = pos;
        while (q < in.length() && Character.isDigit(in.charAt(q))) {
          q++;
        }
        if (q == pos) {
          break;
        }
        if (!isUnitStart(q)) {
          throw err(start, "bad number or duration syntax: \"" + in.substring(start, Math.min(q + 1, in.length()))
              + "\"");
        }
        pos = q + unitLength(q);
      }
      if (pos < in.length() && isIdentChar(in.charAt(pos)) && in.charAt(pos) != ':') {
        throw err(start, "bad number or duration syntax: \"" + in.substring(start, pos + 1) + "\"");
      }
      return new Token(Kind.DURATION, in.substring(start, pos), start);
    }
    pos = start;
    if (in.startsWith("0x", pos) || in.startsWith("0X", pos)) {
      pos += 2;
      while (pos < in.length() && Character.digit(in.charAt(pos), 16) >= 0) {
        pos++;
      }
    } else {
      while (pos < in.length() && (Character.isDigit(in.charAt(pos)) || in.charAt(pos) == '_')) {
        pos++;
      }
      if (pos < in.length() && in.charAt(pos) == '.') {
        pos++;
        while (pos < in.length() && Character.isDigit(in.charAt(pos))) {
          pos++;
        }
      }
      if (pos < in.length() && (in.charAt(pos) == 'e' || in.charAt(pos) == 'E')) {
        int q = pos + 1;
        if (q < in.length() && (in.charAt(q) == '+' || in.charAt(q) == '-')) {
          q++;
        }
        if (q < in.length() && Character.isDigit(in.charAt(q))) {
          pos = q;
          while (pos < in.length() && Character.isDigit(in.charAt(pos))) {
            pos++;
          }
        }
      }
    }
    if (pos < in.length() && ((isIdentChar(in.charAt(pos)) && in.charAt(pos) != ':') || in.charAt(pos) == '.')) {
      throw err(start, "bad number or duration syntax: \"" + in.substring(start, pos + 1) + "\"");
    }
    return new Token(Kind.NUMBER, in.substring(start, pos), start);
  }

  private boolean isUnitStart(int p) {
    return unitLength(p) > 0;
  }

  private int unitLength(int p) {
    if (p >= in.length()) {
      return 0;
    }
    char c = in.charAt(p);
    if (c == 'm' && p + 1 < in.length() && in.charAt(p + 1) == 's') {
      return 2;
    }
    return "smhdwy".indexOf(c) >= 0 ? 1 : 0;
  }

  private String lexString(char quote) {
    int start = pos;
    pos++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= in.length()) {
        throw err(start, "unterminated quoted string");
      }
      char c = in.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\n') {
        throw err(start, "unterminated quoted string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= in.length()) {
        throw err(start, "unterminated quoted string");
      }
      char e = in.charAt(pos++);
      switch (e) {
        case 'a' -> sb.append('\u0007');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'v' -> sb.append('\u000b');
        case '\\' -> sb.append('\\');
        case '"', '\'' -> {
          if (e != quote) {
            throw err(pos - 2, "unknown escape sequence");
          }
          sb.append(e);
        }
        case 'x' -> {
          byte[] bytes = readByteEscapes(16, 2, true);
          sb.append(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        }
        case '0', '1', '2', '3', '4', '5', '6', '7' -> {
          pos--;
          byte[] bytes = readByteEscapes(8, 3, false);
          sb.append(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        }
        case 'u' -> sb.appendCodePoint(hex(4));
        case 'U' -> sb.appendCodePoint(hex(8));
        default -> throw err(pos - 2, "unknown escape sequence");
      }
    }
  }

  // Consecutive \xNN (or \NNN) escapes form UTF-8 byte sequences, as in Go string literals.
  private byte[] readByteEscapes(int radix, int digits, boolean hexPrefixConsumed) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.write(digitsAt(radix, digits));
    while (pos + 1 < in.length() && in.charAt(pos) == '\\'
        && (radix == 16 ? in.charAt(pos + 1) == 'x' : Character.digit(in.charAt(pos + 1), 8) >= 0)) {
      pos += radix == 16 ? 2 : 1;
      b.write(digitsAt(radix, digits));
    }
    return b.toByteArray();
  }

  private int digitsAt(int radix, int digits) {
    if (pos + digits > in.length()) {
      throw err(pos, "unterminated quoted string");
    }
    int v = 0;
    for (int i = 0; i < digits; i++) {
      int d = Character.digit(in.charAt(pos++), radix);
      if (d < 0) {
        throw err(pos - 1, "invalid escape sequence");
      }
      v = v * radix + d;
    }
    return v;
  }

  private int hex(int digits) {
    return digitsAt(16, digits);
  }
}
