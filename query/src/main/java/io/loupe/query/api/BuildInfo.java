package io.loupe.query.api;

import static java.util.Objects.requireNonNull;

/**
 * What {@code /api/v1/status/buildinfo} (and Tempo's {@code /api/status/buildinfo}) report. Prometheus's field names;
 * {@code goVersion} carries the Java runtime, since clients only display it.
 */
public record BuildInfo(
    String version, String revision, String branch, String buildUser, String buildDate, String goVersion) {
  public BuildInfo {
    requireNonNull(version, "version");
    requireNonNull(revision, "revision");
    requireNonNull(branch, "branch");
    requireNonNull(buildUser, "buildUser");
    requireNonNull(buildDate, "buildDate");
    requireNonNull(goVersion, "goVersion");
  }

  /** {@code version} with the other fields unknown and {@code goVersion} naming this JVM ("java17.0.12+7"). */
  public static BuildInfo of(String version) {
    return new BuildInfo(version, "unknown", "unknown", "unknown", "unknown", javaVersion());
  }

  public static String javaVersion() {
    return "java" + Runtime.version();
  }
}
