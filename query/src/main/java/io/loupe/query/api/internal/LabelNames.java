package io.loupe.query.api.internal;

/** Label names in URL paths: Prometheus's "U__" value-encoding escape, and the validity check of UTF-8 names. */
public final class LabelNames {
  private LabelNames() {}

  /**
   * Decodes {@code U__http_2e_status__code} to {@code http.status_code}: after the prefix, {@code __} is {@code _} and
   * {@code _<hex>_} is that code point. A name without the prefix, or one that is not a valid escape, is returned as
   * given (Prometheus's {@code UnescapeName}).
   */
  public static String unescape(String name) {
    if (!name.startsWith("U__")) {
      return name;
    }
    String e = name.substring(3);
    StringBuilder out = new StringBuilder(e.length());
    int i = 0;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c != '_') {
        out.append(c);
        i++;
        continue;
      }
      i++;
      if (i >= e.length()) {
        return name;
      }
      if (e.charAt(i) == '_') {
        out.append('_');
        i++;
        continue;
      }
      int cp = 0;
      int digits = 0;
      while (true) {
        if (i >= e.length() || digits > 6) {
          return name; // no closing underscore, or more digits than U+10FFFF needs
        }
        char h = e.charAt(i);
        if (h == '_') {
          break;
        }
        int d = Character.digit(h, 16);
        if (d < 0) {
          return name;
        }
        cp = cp * 16 + d;
        digits++;
        i++;
      }
      if (digits == 0 || cp > Character.MAX_CODE_POINT || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return name;
      }
      out.appendCodePoint(cp);
      i++; // the closing underscore
    }
    return out.toString();
  }

  /** A label name Prometheus 3 accepts: non-empty, valid UTF-8 (no unpaired surrogate). */
  public static boolean isValid(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= name.length() || !Character.isLowSurrogate(name.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
