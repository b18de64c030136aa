package io.loupe.model;

import static java.util.Objects.requireNonNull;

/**
 * A tenant: every series, span and query belongs to exactly one. Ids follow the Cortex/Mimir rules (at most 150
 * characters of {@code [A-Za-z0-9!\-_.*'()]}, not {@code .} or {@code ..}) so that they are safe as directory names.
 */
public record Tenant(String id) {
  public static final String HEADER = "X-Scope-OrgID";
  public static final Tenant ANONYMOUS = new Tenant("anonymous");
  public static final int MAX_LENGTH = 150;

  public Tenant {
    requireNonNull(id, "id");
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      throw new InvalidInputException(
          "tenant id: " + id.length() + " characters (expected: 1 to " + MAX_LENGTH + ")");
    }
    if (id.equals(".") || id.equals("..")) {
      throw new InvalidInputException("tenant id: '" + id + "' (expected: not . or ..)");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!-_.*'()".indexOf(c) >= 0;
      if (!ok) {
        throw new InvalidInputException(
            "tenant id: '" + id + "' has '" + c + "' at " + i + " (expected: letters, digits and !-_.*'())");
      }
    }
  }

  /** The tenant named by an {@code X-Scope-OrgID} header value, {@link #ANONYMOUS} when the header is absent. */
  public static Tenant fromHeader(String value) {
    if (value == null || value.isBlank()) {
      return ANONYMOUS;
    }
    return new Tenant(value.trim());
  }

  @Override
  public String toString() {
    return id;
  }
}
