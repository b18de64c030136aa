package io.loupe.query.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks JSON answers against the response schemas of Prometheus's OpenAPI 3.1 golden file (the subset of JSON Schema
 * that file uses: $ref, type, properties, required, additionalProperties, items, anyOf, oneOf, enum, min/maxItems).
 */
final class OpenApiSchema {
  private final JsonNode root;

  private OpenApiSchema(JsonNode root) {
    this.root = root;
  }

  static OpenApiSchema load() throws IOException {
    String shared = System.getProperty("loupe.shared.dir", "../../shared");
    Path p = Path.of(shared, "conformance", "prometheus-api", "openapi_3.1_golden.yaml");
    return new OpenApiSchema(new YAMLMapper().readTree(p.toFile()));
  }

  /** The schema of {@code path}'s {@code method} answer with {@code status} ("200", or "default" for errors). */
  JsonNode responseSchema(String path, String method, String status) {
    JsonNode responses = root.path("paths").path(path).path(method).path("responses");
    JsonNode r = responses.has(status) ? responses.get(status) : responses.get("default");
    if (r == null) {
      throw new AssertionError("no " + status + " response for " + method + " " + path + " in the OpenAPI file");
    }
    return r.path("content").path("application/json").path("schema");
  }

  /** The violations of {@code value} against {@code schema}, each with its JSON pointer; empty when it conforms. */
  List<String> validate(JsonNode schema, JsonNode value) {
    List<String> errors = new ArrayList<>();
    check(schema, value, "", errors);
    return errors;
  }

  private JsonNode resolve(JsonNode schema) {
    while (schema.has("$ref")) {
      String ref = schema.get("$ref").asText();
      schema = root.at(ref.substring(1));
      if (schema.isMissingNode()) {
        throw new AssertionError("unresolved $ref " + ref);
      }
    }
    return schema;
  }

  private void check(JsonNode schema, JsonNode v, String at, List<String> errors) {
    schema = resolve(schema);
    if (schema.has("anyOf") || schema.has("oneOf")) {
      String kw = schema.has("anyOf") ? "anyOf" : "oneOf";
      int ok = 0;
      List<String> why = new ArrayList<>();
      for (JsonNode alt : schema.get(kw)) {
        List<String> e = new ArrayList<>();
        check(alt, v, at, e);
        if (e.isEmpty()) {
          ok++;
        } else {
          why.add(e.get(0));
        }
      }
      if (ok == 0 || (kw.equals("oneOf") && ok > 1)) {
        errors.add(at + ": " + ok + " alternatives of " + kw + " match " + v + " " + why);
      }
    }
    if (schema.has("type") && !typeMatches(schema.get("type").asText(), v)) {
      errors.add(at + ": " + v + " is not of type " + schema.get("type").asText());
      return;
    }
    if (schema.has("enum")) {
      boolean found = false;
      for (JsonNode e : schema.get("enum")) {
        found |= e.equals(v);
      }
      if (!found) {
        errors.add(at + ": " + v + " not in " + schema.get("enum"));
      }
    }
    if (v.isObject()) {
      JsonNode props = schema.path("properties");
      for (JsonNode req : schema.path("required")) {
        if (!v.has(req.asText())) {
          errors.add(at + ": missing required " + req.asText());
        }
      }
      JsonNode additional = schema.get("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        String p = at + "/" + f.getKey();
        if (props.has(f.getKey())) {
          check(props.get(f.getKey()), f.getValue(), p, errors);
        } else if (additional != null && additional.isBoolean() && !additional.asBoolean()) {
          errors.add(p + ": property not allowed");
        } else if (additional != null && additional.isObject()) {
          check(additional, f.getValue(), p, errors);
        }
      }
    }
    if (v.isArray()) {
      if (schema.has("minItems") && v.size() < schema.get("minItems").asInt()) {
        errors.add(at + ": fewer than " + schema.get("minItems") + " items");
      }
      if (schema.has("maxItems") && v.size() > schema.get("maxItems").asInt()) {
        errors.add(at + ": more than " + schema.get("maxItems") + " items");
      }
      if (schema.has("items")) {
        for (int i = 0; i < v.size(); i++) {
          check(schema.get("items"), v.get(i), at + "/" + i, errors);
        }
      }
    }
  }

  private static boolean typeMatches(String type, JsonNode v) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "number" -> v.isNumber();
      case "integer" -> v.isIntegralNumber();
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> true;
    };
  }
}
