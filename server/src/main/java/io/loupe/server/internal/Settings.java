package io.loupe.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A YAML configuration tree read with types, defaults and a record of which keys were read, so that a misspelt key
 * fails start-up with its path ({@code tsdb.fsnyc: unknown setting}) instead of being silently ignored.
 */
public final class Settings {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d|w|y)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?");

  private final ObjectNode root;
  private final String source;
  private final Set<String> read = new HashSet<>();

  private Settings(ObjectNode root, String source) {
    this.root = root;
    this.source = source;
  }

  public static Settings empty() {
    return new Settings(YAML.createObjectNode(), "defaults");
  }

  public static Settings load(Path file) {
    try {
      JsonNode n = YAML.readTree(Files.readAllBytes(file));
      if (n == null || n.isMissingNode() || n.isNull()) {
        return new Settings(YAML.createObjectNode(), file.toString());
      }
      if (!n.isObject()) {
        throw new ConfigException(file + ": expected a mapping at the top level, got " + n.getNodeType());
      }
      return new Settings((ObjectNode) n, file.toString());
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read configuration: " + e.getMessage(), e);
    }
  }

  /** Sets {@code path} (dotted) to {@code value}, as a command-line flag overriding the file does. */
  public void override(String path, Object value) {
    String[] parts = path.split("\\.");
    ObjectNode n = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode c = n.get(parts[i]);
      if (!(c instanceof ObjectNode)) {
        c = n.putObject(parts[i]);
      }
      n = (ObjectNode) c;
    }
    n.set(parts[parts.length - 1], YAML.valueToTree(value));
  }

  private JsonNode node(String path) {
    read.add(path);
    JsonNode n = root;
    for (String p : path.split("\\.")) {
      n = n == null ? null : n.get(p);
    }
    return n == null || n.isNull() || n.isMissingNode() ? null : n;
  }

  public String string(String path, String def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    if (!n.isValueNode()) {
      throw invalid(path, n, "a string");
    }
    return n.asText();
  }

  public int integer(String path, int def) {
    long v = longValue(path, def);
    if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
      throw new ConfigException(source + ": " + path + ": " + v + " (expected: a 32-bit integer)");
    }
    return (int) v;
  }

  public long longValue(String path, long def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    if (n.isIntegralNumber()) {
      return n.asLong();
    }
    if (n.isTextual()) {
      try {
        return Long.parseLong(n.asText().replace("_", ""));
      } catch (NumberFormatException e) {
        throw invalid(path, n, "an integer");
      }
    }
    throw invalid(path, n, "an integer");
  }

  public boolean bool(String path, boolean def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    if (!n.isBoolean()) {
      throw invalid(path, n, "true or false");
    }
    return n.asBoolean();
  }

  /** A duration such as {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 250ms}, {@code 7d}; {@code 0} is zero. */
  public Duration duration(String path, Duration def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    return parseDuration(path, n.asText());
  }

  /** Parses {@code text}, the value of {@code path}, as a duration (for settings that take a word or a duration). */
  public Duration parseDurationValue(String path, String text) {
    return parseDuration(path, text);
  }

  Duration parseDuration(String path, String text) {
    String s = text.trim();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = DURATION.matcher(s);
    Duration d = Duration.ZERO;
    int pos = 0;
    while (m.find() && m.start() == pos) {
      double v = Double.parseDouble(m.group(1));
      long unitMs = switch (m.group(2)) {
        case "ms" -> 1L;
        case "s" -> 1000L;
        case "m" -> 60_000L;
        case "h" -> 3_600_000L;
        case "d" -> 86_400_000L;
        case "w" -> 7 * 86_400_000L;
        default -> 365 * 86_400_000L;
      };
      d = d.plusMillis(Math.round(v * unitMs));
      pos = m.end();
    }
    if (pos != s.length() || s.isEmpty()) {
      throw new ConfigException(source + ": " + path + ": '" + text
          + "' (expected: a duration such as 250ms, 30s, 5m, 2h, 7d)");
    }
    return d;
  }

  /** A size such as {@code 16MiB}, {@code 512KiB} or a plain byte count. */
  public long bytes(String path, long def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    if (n.isIntegralNumber()) {
      return n.asLong();
    }
    Matcher m = SIZE.matcher(n.asText().trim());
    if (!m.matches()) {
      throw invalid(path, n, "a size such as 16MiB, 512KiB or a byte count");
    }
    long v = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long mult = switch (unit) {
      case "KB" -> 1000L;
      case "KiB" -> 1L << 10;
      case "MB" -> 1000L * 1000;
      case "MiB" -> 1L << 20;
      case "GB" -> 1000L * 1000 * 1000;
      case "GiB" -> 1L << 30;
      case "TB" -> 1000L * 1000 * 1000 * 1000;
      case "TiB" -> 1L << 40;
      default -> 1L;
    };
    return Math.multiplyExact(v, mult);
  }

  public List<String> strings(String path, List<String> def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    if (!n.isArray()) {
      throw invalid(path, n, "a list of strings");
    }
    List<String> out = new ArrayList<>();
    n.forEach(e -> out.add(e.asText()));
    return out;
  }

  /**
   * A list of mappings (such as scrape targets), each read as its own {@link Settings} so that a misspelt key inside
   * an entry is reported as {@code scrape.targets[2].intervall}.
   */
  public List<Settings> objects(String path) {
    JsonNode n = node(path);
    if (n == null) {
      return List.of();
    }
    if (!n.isArray()) {
      throw invalid(path, n, "a list of mappings");
    }
    List<Settings> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode e = n.get(i);
      if (!e.isObject()) {
        throw new ConfigException(source + ": " + path + "[" + i + "]: expected a mapping, got " + e.getNodeType());
      }
      out.add(new Settings((ObjectNode) e, source + ": " + path + "[" + i + "]"));
    }
    return out;
  }

  /** A mapping of strings to strings (such as extra labels). */
  public java.util.Map<String, String> stringMap(String path) {
    JsonNode n = node(path);
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    if (n == null) {
      return out;
    }
    if (!n.isObject()) {
      throw invalid(path, n, "a mapping of names to values");
    }
    n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  public <E extends Enum<E>> E enumValue(String path, Class<E> type, E def) {
    JsonNode n = node(path);
    if (n == null) {
      return def;
    }
    String s = n.asText().trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(s)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    throw invalid(path, n, "one of " + names);
  }

  /** Fails naming every key present in the file that no setting read. Call after reading every setting. */
  public void checkAllRead() {
    List<String> unknown = new ArrayList<>();
    collect(root, "", unknown);
    if (!unknown.isEmpty()) {
      throw new ConfigException(source + ": unknown setting" + (unknown.size() > 1 ? "s " : " ")
          + String.join(", ", unknown) + " (see config/loupe.yaml for every setting)");
    }
  }

  private void collect(JsonNode n, String prefix, List<String> unknown) {
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (read.contains(path)) {
        continue;
      }
      if (e.getValue().getNodeType() == JsonNodeType.OBJECT) {
        collect(e.getValue(), path, unknown);
      } else {
        unknown.add(path);
      }
    }
  }

  private ConfigException invalid(String path, JsonNode n, String expected) {
    return new ConfigException(source + ": " + path + ": '" + n.asText() + "' (expected: " + expected + ")");
  }
}
